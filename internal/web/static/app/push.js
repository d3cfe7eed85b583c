// push.js: notifications on this device (docs/NOTIFICATIONS.md). The
// browser is asked for permission only when the person turns them on;
// then the service worker (/sw.js) subscribes with the server's VAPID key
// and the subscription is registered with the server.

function b64url(s) {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

// pushState reports whether this device is subscribed.
export async function pushState() {
  if (!pushSupported() || Notification.permission !== 'granted') return false;
  const reg = await navigator.serviceWorker.getRegistration('/');
  return !!(reg && await reg.pushManager.getSubscription());
}

// registerWorker installs the service worker (it shows the pushes).
export async function registerWorker() {
  await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  return navigator.serviceWorker.ready;
}

// enablePush asks for permission (call it from a click), subscribes and
// registers the subscription. It throws when the browser or the person
// refuses.
export async function enablePush(api) {
  if (!pushSupported()) throw new Error('unsupported');
  const perm = await Notification.requestPermission();
  if (perm !== 'granted') throw new Error('denied');
  const reg = await registerWorker();
  const { public_key } = await api.get('/v1/push/vapid');
  let sub = await reg.pushManager.getSubscription();
  if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64url(public_key) });
  const j = sub.toJSON();
  await api.put('/v1/push/subscription', { endpoint: j.endpoint, keys: { p256dh: j.keys.p256dh, auth: j.keys.auth }, kind: 'webpush' });
}

// disablePush unsubscribes this device.
export async function disablePush(api) {
  const reg = pushSupported() ? await navigator.serviceWorker.getRegistration('/') : null;
  const sub = reg && await reg.pushManager.getSubscription();
  if (sub) await sub.unsubscribe().catch(() => null);
  await api.del('/v1/push/subscription').catch(() => null);
}

// MUTE_CHOICES are the lengths offered for a chat's mute and for
// do-not-disturb: off, 8 hours, a week, always.
export const MUTE_CHOICES = ['off', '8h', 'week', 'always'];

// muteChoice reads a mute (GET path) as the nearest choice: a mute that
// ends was set for 8 hours or a week, and shows as the longer it fits.
export async function muteChoice(api, path) {
  const { until } = await api.get(path);
  if (!until) return 'off';
  if (until === 'always') return 'always';
  return new Date(until).getTime() - Date.now() > 8 * 3600e3 ? 'week' : '8h';
}

// applyMute sets or lifts a mute (path: /v1/chats/ID/mute or /v1/push/dnd).
export async function applyMute(api, path, choice) {
  if (choice === 'off') {
    await api.del(path).catch((e) => { if (!e || e.code !== 'not_found') throw e; });
    return;
  }
  const hours = { '8h': 8, week: 24 * 7 }[choice];
  const until = hours ? new Date(Date.now() + hours * 3600e3).toISOString().replace(/\.\d+Z$/, 'Z') : 'always';
  await api.put(path, { until });
}
