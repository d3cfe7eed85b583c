package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/parleyhq/parley/client"
)

// savedAccount is one registered account in an accounts file: one JSON
// object a line, appended as accounts are registered.
type savedAccount struct {
	Phone   string `json:"phone"`
	Account int64  `json:"account"`
	Device  int64  `json:"device"`
	Token   string `json:"token"`
}

// loadAccounts reads the accounts saved in path for a server that kept
// its data, and checks with the server that the first token still works;
// none if the file does not exist or the server does not know them.
func loadAccounts(ctx context.Context, t Target, hc *http.Client, path string) ([]*user, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	var users []*user
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var a savedAccount
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		users = append(users, &user{phone: a.Phone, acct: a.Account, dev: a.Device,
			c: client.New(t.URL, client.WithHTTPClient(hc), client.WithToken(a.Token))})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(users) > 0 {
		if _, err := users[0].c.Me(ctx); client.ErrorCode(err) == "unauthenticated" {
			return nil, nil // another server's accounts
		} else if err != nil {
			return nil, err
		}
	}
	return users, nil
}

// saveAccounts appends users to path.
func saveAccounts(path string, users []*user) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, u := range users {
		if err := enc.Encode(savedAccount{Phone: u.phone, Account: u.acct, Device: u.dev, Token: u.c.Token()}); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
