package cloudapi_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
)

// TestNodeClient runs nodeclient/check.mjs: a published Node client
// library of the Cloud API (whatsapp-api-js) pointed at this server,
// receiving and verifying webhooks with its own code, with non-ASCII
// texts, names and reactions. Every check the script and the library
// make must pass. It skips when node or nodeclient/node_modules is
// missing, unless PARLEY_TEST_NODE is set (CI sets it, after npm ci).
func TestNodeClient(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	_, modErr := os.Stat(filepath.Join("nodeclient", "node_modules", "whatsapp-api-js"))
	if err != nil || modErr != nil {
		if os.Getenv("PARLEY_TEST_NODE") != "" {
			t.Fatalf("PARLEY_TEST_NODE is set but node (%v) or nodeclient/node_modules (%v) is missing: run npm ci in internal/cloudapi/nodeclient", err, modErr)
		}
		t.Skip("node or nodeclient/node_modules missing (npm ci in internal/cloudapi/nodeclient; PARLEY_TEST_NODE=1 makes this a failure)")
	}
	e := newEnv(t)
	const name, text = "Zoë Ñandú", "Olá! 👋 नमस्ते — مرحبا, ¿tienen talla 42?"
	cust, _ := e.login("+14155550177", name)
	chatID := e.openChat(cust)
	e.createTemplate(map[string]any{"name": "pedido_listo", "category": "UTILITY", "language": "es",
		"components": []any{map[string]any{"type": "BODY", "text": "Tu pedido {{1}} está listo ✅"}}})

	ctx, cancel := context.WithTimeout(e.ctx, 50*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "check.mjs")
	cmd.Dir = "nodeclient"
	verify := "node-verify-token"
	cmd.Env = append(os.Environ(), "PARLEY_URL="+e.srv.URL, "PARLEY_TOKEN="+e.token, "PARLEY_APP_SECRET="+e.biz.AppSecret,
		"PARLEY_VERIFY_TOKEN="+verify, fmt.Sprintf("PARLEY_PHONE_ID=%d", e.num.ID), "PARLEY_EXPECT_TEXT="+text,
		"PARLEY_EXPECT_NAME="+name, "PARLEY_TEMPLATE=pedido_listo", "NODE_NO_WARNINGS=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node: %v", err)
	}
	// The customer's phone acks whatever reaches it, so that delivered
	// statuses follow, until the script ends.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			es, err := cust.Pending(e.ctx, 0, 100)
			if err != nil || len(es) == 0 {
				continue
			}
			ids := make([]int64, len(es))
			for i := range es {
				ids[i] = es[i].ID
			}
			_ = cust.Ack(e.ctx, ids...)
		}
	}()
	var out []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		out = append(out, line)
		switch {
		case strings.HasPrefix(line, "LISTEN "):
			e.adminDo("PUT", fmt.Sprintf("/admin/v1/businesses/%d/webhook", e.biz.ID),
				map[string]any{"callback_url": strings.TrimPrefix(line, "LISTEN "), "verify_token": verify}, nil)
			// The dispatcher rereads a business's callback URL at most once a
			// second (webhook.Dispatcher.business): wait that out, so that the
			// customer's message goes to the new URL.
			time.Sleep(1100 * time.Millisecond)
			e.customerSends(cust, chatID, chat.KindMessage, "", client.Body{Text: text})
		case strings.HasPrefix(line, "REPLY "):
			e.customerSends(cust, chatID, chat.KindReaction, strings.TrimPrefix(line, "REPLY "), client.Body{Emoji: "❤️"})
		case strings.HasPrefix(line, "not ok"):
			t.Error(line)
		}
	}
	err = cmd.Wait()
	close(stop)
	wg.Wait()
	if err != nil || len(out) == 0 || !strings.HasSuffix(out[len(out)-1], " 0 failed") {
		t.Fatalf("node check.mjs: %v\nstdout:\n%s\nstderr:\n%s", err, strings.Join(out, "\n"), stderr.String())
	}
	t.Log(out[len(out)-1])
}
