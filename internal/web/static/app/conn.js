// conn.js: the device's WebSocket (docs/API.md "WebSocket"). It connects
// with ?after=<last entry processed>, hands entries to onEntry one at a
// time, in order, acks each once it is stored, and reconnects with backoff
// after any drop, resuming from the cursor. States: connecting, online,
// offline, revoked (close 4001), replaced (close 4003: another tab took
// over; no reconnect).

export class Conn extends EventTarget {
  constructor({ token, after, onEntry, onFrame, onCursor }) {
    super();
    this.token = token;
    this.after = after || 0;
    this.onEntry = onEntry;
    this.onFrame = onFrame;
    this.onCursor = onCursor;
    this.state = 'connecting';
    this.ws = null;
    this.attempt = 0;
    this.queue = Promise.resolve();
    this.acks = [];
    this.seen = new Set(); // ids handled lately, oldest first
    this.ackTimer = 0;
    this.stopped = false;
  }

  url() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}/v1/ws?after=${this.after}&access_token=${encodeURIComponent(this.token)}`;
  }

  setState(s) {
    if (this.state === s) return;
    this.state = s;
    this.dispatchEvent(new CustomEvent('state', { detail: s }));
  }

  start() {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.setState(this.state === 'online' ? 'online' : 'connecting');
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onmessage = (ev) => {
      let f;
      try { f = JSON.parse(ev.data); } catch { return; }
      if (f.type === 'entry') {
        const e = f.entry;
        this.queue = this.queue.then(() => this.handle(e));
      } else if (f.type === 'ready') {
        this.queue = this.queue.then(() => {
          this.attempt = 0;
          if (ws === this.ws) this.setState('online');
        });
      } else {
        this.onFrame(f);
      }
    };
    ws.onclose = (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      clearInterval(this.pingTimer);
      if (this.stopped) return;
      if (ev.code === 4001) return this.setState('revoked');
      if (ev.code === 4003) return this.setState('replaced');
      this.setState('offline');
      this.retry(ev.code === 1012);
    };
    ws.onopen = () => {
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.send({ type: 'ping' }), 25000);
    };
  }

  async handle(e) {
    if (this.seen.has(e.id)) {
      this.ack(e.id);
      return;
    }
    // An id at or below the cursor that was never handled is not a replay:
    // nodes of a cluster can push entries slightly out of id order, so it
    // is handled like any other (the server also takes ?after= as the ack
    // of what is at or below it).
    this.seen.add(e.id);
    if (this.seen.size > 4096) this.seen.delete(this.seen.values().next().value);
    try {
      await this.onEntry(e);
    } catch (err) {
      // A body we cannot read must not block the inbox forever.
      console.warn('entry', e.id, err);
    }
    this.ack(e.id);
    if (e.id > this.after) {
      this.after = e.id;
      this.onCursor(this.after);
    }
  }

  ack(id) {
    this.acks.push(id);
    if (!this.ackTimer) {
      this.ackTimer = setTimeout(() => {
        this.ackTimer = 0;
        const ids = this.acks.splice(0, 1000);
        if (ids.length && !this.send({ type: 'ack', ids })) this.acks.unshift(...ids);
        if (this.acks.length) this.ack(this.acks.pop());
      }, 30);
    }
  }

  retry(soon) {
    if (this.stopped) return;
    const base = soon ? 100 : Math.min(5000, 250 * 2 ** this.attempt);
    this.attempt++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.start(), base + Math.random() * 100);
  }

  // reconnectNow skips the backoff (the browser came back online).
  reconnectNow() {
    if (this.stopped || this.ws) return;
    this.attempt = 0;
    this.start();
  }

  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }
}
