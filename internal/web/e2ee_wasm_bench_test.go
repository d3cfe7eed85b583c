package web_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/bench/procstat"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
)

// BenchmarkE2EEWasm measures end-to-end encryption per message per
// device in Chromium, in the web app's own module (static/app/e2ee.wasm)
// called as the app calls it (seal and done, or open: JSON in and out,
// one Promise each): two devices, each an instance of the module in one
// page, publish their keys to a real server; then each sub-benchmark
// times b.N operations in the page (performance.now) and reports
// js-µs/op (wall clock) and cpu-µs/op (the CPU time of Chromium's
// processes over the same loop), beside e2ee's Go benchmarks in
// docs/PERFORMANCE.md (ns/op adds one DevTools round trip per b.N). Not
// part of the test command (a benchmark); run it with
//
//	PARLEY_TEST_CHROMIUM=/usr/bin/chromium go test -run '^$' -bench E2EEWasm -benchtime 1000x ./internal/web
func BenchmarkE2EEWasm(b *testing.B) {
	webtest.ChromiumPath(b)
	srv := servertest.Start(b, servertest.WithBulkLogins())
	ctx := context.Background()
	alice, aliceID, aliceDev := benchAccount(b, srv, "+14155550191")
	bob, bobID, bobDev := benchAccount(b, srv, "+14155550192")
	dm, err := alice.OpenDirect(ctx, bobID)
	if err != nil {
		b.Fatal(err)
	}
	group, err := alice.CreateGroup(ctx, "bench", bobID)
	if err != nil {
		b.Fatal(err)
	}

	page := webtest.Start(b).NewPage(b)
	browser := chromedp.FromContext(page.Context()).Browser.Process().Pid
	page.Navigate(srv.URL + "/healthz") // the server's origin, without the app
	webtest.Eval[bool](page, fmt.Sprintf(wasmBenchJS, alice.Token(), aliceID, aliceDev, bob.Token(), bobID, bobDev, dm.ID, group.ID))

	// Each sub-benchmark leaves the devices in step: what alice sealed,
	// bob opened, so the next one starts from sessions in use.
	for _, op := range []struct {
		name, kind string
		open       bool // time bob's decryption, not alice's encryption
	}{
		{"OlmEncrypt", "direct", false},
		{"OlmDecrypt", "direct", true},
		{"MegolmEncrypt", "group", false},
		{"MegolmDecrypt", "group", true},
		// One call into the module that does next to nothing: the
		// Promise and goroutine every operation above pays once (seal
		// twice, with done).
		{"Call", "", false},
	} {
		b.Run(op.name, func(b *testing.B) {
			var ms float64
			var cpu time.Duration
			timed := func(expr string) {
				b.StartTimer()
				cpu0 := chromiumCPU(browser)
				ms = webtest.Eval[float64](page, expr)
				cpu = chromiumCPU(browser) - cpu0
				b.StopTimer()
			}
			b.StopTimer()
			switch {
			case op.name == "Call":
				timed(fmt.Sprintf(`pb.call(%d)`, b.N))
			case op.open:
				webtest.Eval[float64](page, fmt.Sprintf(`pb.seal(%q, %d)`, op.kind, b.N))
				timed(`pb.open()`)
			default:
				timed(fmt.Sprintf(`pb.seal(%q, %d)`, op.kind, b.N))
				webtest.Eval[float64](page, `pb.open()`)
			}
			b.ReportMetric(ms*1000/float64(b.N), "js-µs/op")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
	gz, err := os.Stat("static/app/e2ee.wasm.gz")
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("e2ee.wasm: %d bytes, %d gzipped (as served)", webtest.Eval[int](page, `pb.size`), gz.Size())
}

// chromiumCPU is the CPU time of the browser process root and all its
// descendants (the page's renderer among them): on a machine that other
// work keeps busy, the page's wall-clock time counts waits for a core,
// its CPU time does not. /proc counts in 10 ms ticks, so the benchmark
// wants b.N of a few hundred or more.
func chromiumCPU(root int) time.Duration {
	parent := map[int]int{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// After the command, which may hold spaces: state, ppid.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 {
			parent[pid], _ = strconv.Atoi(f[1])
		}
	}
	var total time.Duration
	for pid := range parent {
		for p := pid; p > 1; p = parent[p] {
			if p == root {
				total += procstat.CPU(pid)
				break
			}
		}
	}
	return total
}

// benchAccount registers an account with the Go client, without
// end-to-end keys: its device's keys are published by the page.
func benchAccount(b *testing.B, srv *servertest.Server, phone string) (*client.Client, int64, int64) {
	b.Helper()
	ctx := context.Background()
	c := client.New(srv.URL)
	if err := c.RequestCode(ctx, phone); err != nil {
		b.Fatal(err)
	}
	s, err := c.Verify(ctx, phone, srv.Code(phone), "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	return c, s.AccountID, s.DeviceID
}

// wasmBenchJS loads the module twice (alice's device, then bob's), lends
// each the API with its account's token, and defines pb.seal(kind,
// n): alice seals n messages to bob in the 1:1 chat ("direct") or the
// group, and pb.open(): bob opens them; each returns the milliseconds
// its loop took. The arguments: alice's token, account and
// device, bob's, the 1:1 chat and the group.
const wasmBenchJS = `(async () => {
  // The versioned asset prefix, from the app's page.
  const html = await (await fetch('/')).text();
  const base = html.match(/"(\/static\/[^"]+)\/app\/wasm_exec\.js"/)[1];
  await import(base + '/app/wasm_exec.js');
  const bytes = await (await fetch(base + '/app/e2ee.wasm')).arrayBuffer();
  const mod = await WebAssembly.compile(bytes);
  async function device(token, acct, dev) {
    const go = new globalThis.Go();
    const ready = new Promise((r) => { globalThis.parleyE2EEReady = r; });
    go.run(await WebAssembly.instantiate(mod, go.importObject));
    await ready;
    const m = globalThis.parleyE2EE;
    const call = async (method, path, body) => {
      const r = await fetch(path, { method, body: body || undefined,
        headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' } });
      const text = await r.text();
      if (!r.ok) throw new Error(method + ' ' + path + ': ' + r.status + ' ' + text);
      return text;
    };
    await m.create(call, acct, dev);
    return m;
  }
  const [aToken, aID, aDev, bToken, bID, bDev, dm, group] = [%q, %d, %d, %q, %d, %d, %d, %d];
  const a = await device(aToken, aID, aDev);
  const b = await device(bToken, bID, bDev);
  const content = JSON.stringify({ text: 'a message of about the length people write, give or take a few words here' });
  const devs = JSON.stringify([{ account_id: bID, device_id: bDev }]);
  let seq = 0;
  const seal = async (kind, id) => {
    const s = JSON.parse(await a.seal(kind, kind === 'direct' ? dm : group, id, devs, content));
    await a.done(s.token);
    const mine = (s.envelopes || []).find((e) => e.device_id === bDev);
    return JSON.stringify({ id: ++seq, type: 'message', chat_id: kind === 'direct' ? dm : group, message_id: id,
      kind: 'message', sender_account: aID, sender_device: aDev,
      body: s.shared || (mine && mine.body), key: s.shared && mine ? mine.body : undefined });
  };
  const open = async (entry) => {
    const r = await b.open(entry);
    if (r.error) throw new Error('open: ' + r.error);
    if (r.content !== content) throw new Error('open: got ' + r.content);
  };
  // One message each way first: the sessions exist and the 1:1 ratchet
  // has turned once, as in the Go benchmarks.
  await open(await seal('direct', 'w0'));
  await open(await seal('group', 'w1'));
  const reply = JSON.parse(await b.seal('direct', dm, 'w2', JSON.stringify([{ account_id: aID, device_id: aDev }]), content));
  const r = await a.open(JSON.stringify({ id: ++seq, type: 'message', chat_id: dm, message_id: 'w2', kind: 'message',
    sender_account: bID, sender_device: bDev, body: reply.envelopes[0].body }));
  if (r.error) throw new Error('reply: ' + r.error);
  // Warm up: V8 runs a module's code from its baseline compiler until the
  // optimising tier has compiled the hot functions in the background,
  // which takes seconds on a busy machine; a page that has been open a
  // while runs the optimised code.
  for (let i = 0; i < 200; i++) {
    await open(await seal('direct', 'wd' + i));
    await open(await seal('group', 'wg' + i));
  }
  let n = 0;
  let pending = [];
  globalThis.pb = {
    size: bytes.byteLength,
    async seal(kind, count) {
      const t0 = performance.now();
      for (let i = 0; i < count; i++) pending.push(await seal(kind, 'm' + (++n)));
      return performance.now() - t0;
    },
    async call(count) {
      const t0 = performance.now();
      for (let i = 0; i < count; i++) await a.verified(bID);
      return performance.now() - t0;
    },
    async open() {
      const t0 = performance.now();
      for (const e of pending) await open(e);
      pending = [];
      return performance.now() - t0;
    },
  };
  return true;
})()`
