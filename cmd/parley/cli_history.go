package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/e2ee"
	"github.com/parleyhq/parley/wire"
)

// The CLI's history (docs/E2EE.md, "History for a new device"). The
// server keeps no message once every device has it, so the CLI keeps
// the messages it shows in PROFILE.history.json (mode 0600, the newest
// maxHistory): `parley history` prints them, `devices approve` sends them
// to the new device sealed for it alone, and the key backup holds them.

// maxHistory bounds the CLI's history file: the oldest messages go first.
const maxHistory = 20000

// backupEvery is how often `listen` updates the key backup while it runs;
// every other command updates it when it ends.
const backupEvery = 30 * time.Second

// cliHistory is the CLI's history bundle, in its file and on the wire.
// The web app's bundles have rows of another shape under the same
// format key; each client skips rows it does not know.
type cliHistory struct {
	Format    int          `json:"parley_history"`
	AccountID int64        `json:"account_id"`
	Messages  []historyMsg `json:"messages"`
}

// historyMsg is one message as the CLI showed it.
type historyMsg struct {
	ChatID        int64     `json:"chat_id"`
	MessageID     string    `json:"message_id"`
	SenderAccount int64     `json:"sender_account"`
	At            time.Time `json:"at"`
	Line          string    `json:"line"`
}

// historyState is the CLI's history and key backup for one invocation.
type historyState struct {
	loaded     bool
	h          cliHistory
	seen       map[string]bool // chat|message ids in h
	dirty      bool            // h changed since it was saved
	backupDue  bool            // the backup is older than what the device has
	lastBackup time.Time
}

func (cl *cli) profileFile(suffix string) (string, error) {
	path, err := cl.statePath()
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(path, ".json") + suffix, nil
}

// history loads the profile's history once.
func (cl *cli) history() (*historyState, error) {
	hs := &cl.hist
	if hs.loaded {
		return hs, nil
	}
	path, err := cl.profileFile(".history.json")
	if err != nil {
		return nil, err
	}
	hs.h = cliHistory{Format: 1, AccountID: cl.st.AccountID}
	hs.seen = map[string]bool{}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read history: %w", err)
	default:
		if err := json.Unmarshal(b, &hs.h); err != nil {
			return nil, fmt.Errorf("read history %s: %w", path, err)
		}
	}
	for _, m := range hs.h.Messages {
		hs.seen[historyKey(m)] = true
	}
	hs.loaded = true
	return hs, nil
}

func historyKey(m historyMsg) string { return strconv.FormatInt(m.ChatID, 10) + "|" + m.MessageID }

// add keeps messages the history does not have; it returns how many.
func (hs *historyState) add(ms ...historyMsg) int {
	n := 0
	for _, m := range ms {
		if m.ChatID == 0 || m.MessageID == "" || hs.seen[historyKey(m)] {
			continue
		}
		hs.seen[historyKey(m)] = true
		hs.h.Messages = append(hs.h.Messages, m)
		n++
	}
	if over := len(hs.h.Messages) - maxHistory; over > 0 {
		for _, m := range hs.h.Messages[:over] {
			delete(hs.seen, historyKey(m))
		}
		hs.h.Messages = append([]historyMsg(nil), hs.h.Messages[over:]...)
	}
	if n > 0 {
		hs.dirty, hs.backupDue = true, true
	}
	return n
}

// remember adds a message the CLI showed to its history.
func (cl *cli) remember(e wire.Entry, line string) {
	if cl.st == nil || line == "" {
		return
	}
	hs, err := cl.history()
	if err != nil {
		return // the message was shown; the history is best effort
	}
	hs.add(historyMsg{ChatID: e.ChatID, MessageID: e.MessageID, SenderAccount: e.SenderAccount, At: e.CreatedAt, Line: line})
}

// saveHistory writes the history when it changed and, when the key backup
// is on, updates it (at most every backupEvery unless final).
func (cl *cli) saveHistory(final bool) error {
	hs := &cl.hist
	if !hs.loaded {
		return nil
	}
	if hs.dirty {
		b, err := json.Marshal(hs.h)
		if err != nil {
			return err
		}
		path, err := cl.profileFile(".history.json")
		if err != nil {
			return err
		}
		if err := writePrivate(path, b); err != nil {
			return err
		}
		hs.dirty = false
	}
	if !hs.backupDue || (!final && time.Since(hs.lastBackup) < backupEvery) {
		return nil
	}
	rk, ok, err := cl.recoveryKey()
	if err != nil || !ok {
		return err
	}
	if err := cl.backUp(rk); err != nil {
		return fmt.Errorf("update the key backup: %w", err)
	}
	return nil
}

func (cl *cli) backUp(rk e2ee.RecoveryKey) error {
	hs, err := cl.history()
	if err != nil {
		return err
	}
	b, err := json.Marshal(hs.h)
	if err != nil {
		return err
	}
	if err := cl.c.BackUpKeys(cl.ctx, rk, b); err != nil {
		return err
	}
	hs.backupDue, hs.lastBackup = false, time.Now()
	return nil
}

// recoveryKey returns the key the backup was turned on with: this device
// keeps it (mode 0600, like its other keys) to update the backup.
func (cl *cli) recoveryKey() (e2ee.RecoveryKey, bool, error) {
	path, err := cl.profileFile(".recovery-key")
	if err != nil {
		return e2ee.RecoveryKey{}, false, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return e2ee.RecoveryKey{}, false, nil
	}
	if err != nil {
		return e2ee.RecoveryKey{}, false, fmt.Errorf("read recovery key: %w", err)
	}
	rk, err := e2ee.ParseRecoveryKey(string(b))
	return rk, err == nil, err
}

func (cl *cli) keepRecoveryKey(rk e2ee.RecoveryKey) error {
	path, err := cl.profileFile(".recovery-key")
	if err != nil {
		return err
	}
	return writePrivate(path, []byte(rk.String()+"\n"))
}

// importHistory merges a history bundle (a history entry's or a
// backup's) into this device's history and returns how many messages it
// added. Rows of another client's format are skipped.
func (cl *cli) importHistory(bundle []byte) (int, error) {
	var h cliHistory
	if err := json.Unmarshal(bundle, &h); err != nil || h.Format != 1 {
		return 0, errors.New("not a history bundle this client reads")
	}
	if h.AccountID != cl.st.AccountID {
		return 0, fmt.Errorf("the history is account %d's", h.AccountID)
	}
	hs, err := cl.history()
	if err != nil {
		return 0, err
	}
	return hs.add(h.Messages...), nil
}

// describeHistory opens a history entry from another of this account's
// devices and merges it.
func (cl *cli) describeHistory(e wire.Entry) string {
	bundle, err := cl.c.OpenHistory(cl.ctx, e)
	if errors.Is(err, e2ee.ErrReplay) {
		return ""
	}
	if err != nil {
		return fmt.Sprintf("history from your device %d that this device cannot read: %v", e.SenderDevice, err)
	}
	n, err := cl.importHistory(bundle)
	if err != nil {
		return fmt.Sprintf("history from your device %d (%d bytes): %v", e.SenderDevice, len(bundle), err)
	}
	return fmt.Sprintf("history from your device %d: %d earlier messages added (parley history shows them)", e.SenderDevice, n)
}

// historyCmd prints the messages this device keeps, of one chat or all.
func (cl *cli) historyCmd(args []string) error {
	rest, err := parse(cl.flagSet("history", "[CHAT]"), args, 0, 1)
	if err != nil {
		return err
	}
	var chatID int64
	if len(rest) == 1 {
		if chatID, err = strconv.ParseInt(rest[0], 10, 64); err != nil {
			return fmt.Errorf("%q is not a chat id", rest[0])
		}
	}
	st, err := cl.loadState()
	if err != nil {
		return err
	}
	if st == nil {
		return fmt.Errorf("profile %q is not logged in", cl.profileLabel())
	}
	cl.st = st
	hs, err := cl.history()
	if err != nil {
		return err
	}
	n := 0
	for _, m := range hs.h.Messages {
		if chatID == 0 || m.ChatID == chatID {
			fmt.Fprintln(cl.out, m.Line)
			n++
		}
	}
	if n == 0 {
		fmt.Fprintln(cl.out, "no messages on this device; earlier ones come from another of your devices (devices approve) or your key backup (backup-keys restore)")
	}
	return nil
}

// sendHistory sends this device's history to a device it just approved.
func (cl *cli) sendHistory(deviceID int64) error {
	hs, err := cl.history()
	if err != nil {
		return err
	}
	if len(hs.h.Messages) == 0 {
		fmt.Fprintln(cl.out, "no history on this device to send")
		return nil
	}
	b, err := json.Marshal(hs.h)
	if err != nil {
		return err
	}
	if err := cl.c.SendHistory(cl.ctx, deviceID, b); err != nil {
		return fmt.Errorf("send history to device %d: %w", deviceID, err)
	}
	fmt.Fprintf(cl.out, "sent %d messages of history to device %d, encrypted for it alone\n", len(hs.h.Messages), deviceID)
	return nil
}

// backupKeys is `parley backup-keys`: the encrypted key backup.
func (cl *cli) backupKeys(args []string) error {
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	if _, err := parse(cl.flagSet("backup-keys "+cmpOr(sub, "status"), ""), args, 0, 0); err != nil {
		return err
	}
	switch sub {
	case "", "status", "enable", "restore", "off":
	default:
		return fmt.Errorf("unknown backup-keys command %q: use enable, restore, off or status", sub)
	}
	if err := cl.connect(); err != nil {
		return err
	}
	switch sub {
	case "enable":
		rk, err := e2ee.NewRecoveryKey()
		if err != nil {
			return err
		}
		if err := cl.backUp(rk); err != nil {
			return fmt.Errorf("upload the key backup: %w", err)
		}
		if err := cl.keepRecoveryKey(rk); err != nil {
			return err
		}
		fmt.Fprintf(cl.out, "key backup is on. Your recovery key (write it down; it is shown only once):\n\n    %s\n\n", rk)
		fmt.Fprintln(cl.out, "With it, a new device reads your earlier messages even if you lose every device: parley backup-keys restore.")
		fmt.Fprintln(cl.out, "Nobody can open the backup without it, not even the server; if you lose it, the backup cannot be opened.")
		return nil
	case "restore":
		line, err := cl.prompt("recovery key: ")
		if err != nil {
			return err
		}
		rk, err := e2ee.ParseRecoveryKey(line)
		if err != nil {
			return errors.New("that is not a recovery key: check it for a typo (groups of 4 letters and digits)")
		}
		bundle, sessions, err := cl.c.RestoreKeys(cl.ctx, rk)
		switch {
		case errors.Is(err, e2ee.ErrWrongRecoveryKey):
			return errors.New("this recovery key does not open your backup: it is not the key shown when the backup was turned on")
		case err != nil:
			return fmt.Errorf("restore: %w", err)
		}
		n := 0
		if len(bundle) > 0 {
			if n, err = cl.importHistory(bundle); err != nil {
				return err
			}
		}
		if err := cl.keepRecoveryKey(rk); err != nil {
			return err
		}
		fmt.Fprintf(cl.out, "restored %d earlier messages and %d group keys; this device is in your device list (parley history shows the messages)\n", n, sessions)
		return nil
	case "off":
		if err := cl.c.DeleteKeyBackup(cl.ctx); err != nil {
			return err
		}
		if path, err := cl.profileFile(".recovery-key"); err == nil {
			_ = os.Remove(path)
		}
		fmt.Fprintln(cl.out, "key backup is off: the server's copy is deleted")
		return nil
	}
	_, err := cl.c.KeyBackup(cl.ctx)
	var ce *client.Error
	switch {
	case errors.As(err, &ce) && ce.Code == "not_found":
		fmt.Fprintln(cl.out, "key backup is off (turn it on: parley backup-keys enable)")
	case err != nil:
		return err
	default:
		_, ok, _ := cl.recoveryKey()
		if ok {
			fmt.Fprintln(cl.out, "key backup is on; this device keeps it up to date")
		} else {
			fmt.Fprintln(cl.out, "key backup is on, made by another of your devices (this device does not update it; run backup-keys restore to join)")
		}
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
