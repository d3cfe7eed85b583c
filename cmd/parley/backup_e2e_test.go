package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/wire"
)

// testBackupUnderLoad sends messages from several goroutines, takes a
// backup with "parley backup" while they go on, stops the server, restores
// the backup into a new directory and starts a server on it. Every send
// acknowledged before the backup started must be in Bob's inbox (he never
// connects, so each stays pending there) exactly once, and the media
// uploaded before must download with the same bytes.
func testBackupUnderLoad(t *testing.T, bin string) {
	data := t.TempDir()
	p := startParley(t, bin, "serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--data", data, "--log-format", "text")
	url := p.url(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	alice, bob, chat, devs := p.directChat(ctx, t, url)
	photo := make([]byte, 256<<10)
	rand.Read(photo)
	media, err := alice.UploadMedia(ctx, chat.ID, "application/octet-stream", bytes.NewReader(photo))
	if err != nil {
		t.Fatal(err)
	}

	loadCtx, stopLoad := context.WithCancel(ctx)
	var (
		mu      sync.Mutex
		acked   = map[string]bool{}
		apiErrs []error
		wg      sync.WaitGroup
	)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; loadCtx.Err() == nil; i++ {
				id := fmt.Sprintf("w%d-%05d", w, i)
				envs := make([]wire.Envelope, len(devs))
				for j, d := range devs {
					envs[j] = wire.Envelope{DeviceID: d.DeviceID, Body: []byte("ciphertext of " + id)}
				}
				_, err := alice.Send(loadCtx, chat.ID, client.SendRequest{MessageID: id, Envelopes: envs})
				mu.Lock()
				var apiErr *client.Error
				switch {
				case err == nil:
					acked[id] = true
				case errors.As(err, &apiErr):
					apiErrs = append(apiErrs, err)
				}
				mu.Unlock()
			}
		})
	}
	p.until(t, "200 acknowledged sends", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 200 || len(apiErrs) > 0
	})

	// Everything acknowledged before the backup starts must be in it.
	mu.Lock()
	before := make(map[string]bool, len(acked))
	for id := range acked {
		before[id] = true
	}
	mu.Unlock()
	out := filepath.Join(t.TempDir(), "backup")
	cmd := exec.Command(bin, "backup", "--data", data, "--out", out)
	cmd.Env = withoutParleyEnv()
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("parley backup: %v\n%s", err, res)
	}
	t.Logf("%s", bytes.TrimSpace(res))
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	stopLoad()
	wg.Wait()
	if len(apiErrs) > 0 {
		t.Fatalf("sends failed with %d answers from the server, such as %v", len(apiErrs), apiErrs[0])
	}
	t.Logf("%d sends acknowledged before the backup, %d while it ran", len(before), during)
	p.signal(t, syscall.SIGTERM)
	if err := p.wait(t); err != nil {
		t.Fatalf("after SIGTERM parley exited with %v", err)
	}

	// The restored server gets a clock of its own, as the kill -9 test's
	// retries do: the first 30 s may be mostly spent on a loaded machine.
	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	restored := filepath.Join(t.TempDir(), "restored")
	cmd = exec.Command(bin, "restore", "--from", out, "--data", restored)
	cmd.Env = withoutParleyEnv()
	if res, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("parley restore: %v\n%s", err, res)
	}
	p = startParley(t, bin, "serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--data", restored, "--log-format", "text")
	url = p.url(t)
	bob = client.New(url, client.WithToken(bob.Token()))
	got := inboxCounts(t, bob)
	for id := range before {
		if got[id] != 1 {
			t.Errorf("message %s, acknowledged before the backup, is in the restored inbox %d times, want 1", id, got[id])
		}
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("message %s is in the restored inbox %d times, want 1", id, n)
		}
	}
	if len(got) < len(before) {
		t.Errorf("restored inbox holds %d messages, want at least %d", len(got), len(before))
	}
	dl, err := bob.Media(ctx, media.ID)
	if err != nil {
		t.Fatalf("download the media from the restored server: %v", err)
	}
	b, err := io.ReadAll(dl.Body)
	dl.Body.Close()
	if err != nil || !bytes.Equal(b, photo) {
		t.Errorf("restored media: got %d bytes (%v), want the %d uploaded", len(b), err, len(photo))
	}
	// The restored deployment takes new writes.
	alice = client.New(url, client.WithToken(alice.Token()))
	if _, err := alice.Send(ctx, chat.ID, client.SendRequest{MessageID: "after-restore", Envelopes: []wire.Envelope{{DeviceID: devs[0].DeviceID, Body: []byte("x")}}}); err != nil {
		t.Errorf("send on the restored server: %v", err)
	}
	p.signal(t, syscall.SIGTERM)
	if err := p.wait(t); err != nil {
		t.Errorf("after SIGTERM parley exited with %v, want success", err)
	}
}

// withoutParleyEnv is the environment without PARLEY_ variables, so that
// only the flags configure a command.
func withoutParleyEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARLEY_") {
			env = append(env, kv)
		}
	}
	return env
}
