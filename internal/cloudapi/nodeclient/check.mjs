// check.mjs drives Parley's Cloud API with whatsapp-api-js, a published
// client library, exactly as a business would drive Meta's: the library's
// own code sends, answers the webhook verification and verifies every
// webhook's signature (it escapes the body as Meta documents, then
// HMACs). The library calls https://graph.facebook.com; the fetch it is
// given (its ponyfill option) only swaps that origin for PARLEY_URL.
//
// It is run by TestNodeClient (../nodeclient_test.go), which starts the
// server and plays the customer. Protocol on stdout, one line each:
//   LISTEN <url>      the webhook endpoint is up (the test registers it)
//   REPLY <wamid>     the business replied (the customer reacts to it)
//   ok - <check> / not ok - <check>: <why>
//   <n> passed, <m> failed
// Exit status 0 only if every check passed.
import http from "node:http";
import crypto from "node:crypto";
import { WhatsAppAPI } from "whatsapp-api-js";
import { Text, Reaction, Contacts, Name, Phone, Template, Language, BodyComponent, BodyParameter, Interactive, ActionLocation, Body } from "whatsapp-api-js/messages";

const env = process.env;
const must = (k) => {
	if (!env[k]) throw new Error(`${k} is not set`);
	return env[k];
};
const base = must("PARLEY_URL");
const phoneID = must("PARLEY_PHONE_ID");
const appSecret = must("PARLEY_APP_SECRET");
const expectText = must("PARLEY_EXPECT_TEXT");
const expectName = must("PARLEY_EXPECT_NAME");
const template = must("PARLEY_TEMPLATE");

let passed = 0, failed = 0;
function check(name, ok, why = "") {
	if (ok) {
		passed++;
		console.log(`ok - ${name}`);
	} else {
		failed++;
		console.log(`not ok - ${name}: ${why}`);
	}
}

const api = new WhatsAppAPI({
	token: must("PARLEY_TOKEN"),
	appSecret,
	webhookVerifyToken: must("PARLEY_VERIFY_TOKEN"),
	v: "v23.0",
	ponyfill: { fetch: (url, opts) => fetch(String(url).replace(/^https:\/\/graph\.facebook\.com/, base), opts) },
});

// What the webhooks brought.
const statuses = new Map(); // wamid -> Set of statuses
const pricingOnSent = new Map(); // wamid -> the sent status's pricing
const waiters = [];
function notify() {
	for (const w of waiters.splice(0)) w();
}
function until(cond, what, ms = 15000) {
	return new Promise((resolve) => {
		const deadline = Date.now() + ms;
		const tick = () => {
			if (cond()) return resolve(true);
			if (Date.now() > deadline) {
				check(`within ${ms / 1000}s: ${what}`, false, "timed out");
				return resolve(false);
			}
			waiters.push(tick);
			setTimeout(notify, 100);
		};
		tick();
	});
}

let inbound = null, reaction = null;
api.on.message = async ({ message, name, from }) => {
	if (message.type === "reaction") {
		reaction = message;
	} else if (!inbound) {
		inbound = { message, name, from };
	}
	notify();
};
api.on.status = ({ id, status, pricing, error }) => {
	if (!statuses.has(id)) statuses.set(id, new Set());
	statuses.get(id).add(status);
	if (status === "failed") check(`status of ${id} is not failed`, false, JSON.stringify(error));
	if (status === "sent") pricingOnSent.set(id, pricing);
	notify();
};

let webhooks = 0;
const server = http.createServer((req, res) => {
	const url = new URL(req.url, "http://localhost");
	if (req.method === "GET") {
		try {
			res.end(api.get(Object.fromEntries(url.searchParams)));
			check("webhook verification answered by the library", true);
		} catch (e) {
			check("webhook verification answered by the library", false, e.message);
			res.statusCode = 403;
			res.end();
		}
		return;
	}
	const chunks = [];
	req.on("data", (c) => chunks.push(c));
	req.on("end", async () => {
		const raw = Buffer.concat(chunks).toString("utf8");
		webhooks++;
		// The SHA-1 signature, the way receivers written before SHA-256 check it.
		const sha1 = "sha1=" + crypto.createHmac("sha1", appSecret).update(raw).digest("hex");
		if (req.headers["x-hub-signature"] !== sha1) check("X-Hub-Signature (SHA-1) verifies", false, raw);
		try {
			await api.post(JSON.parse(raw), raw, req.headers["x-hub-signature-256"]);
			res.end();
		} catch (e) {
			check("webhook accepted by the library (signature and payload)", false, `${e.name}: ${e.message}: ${raw}`);
			res.statusCode = e.httpStatus || 500;
			res.end();
		}
	});
});

server.listen(0, "127.0.0.1", async () => {
	console.log(`LISTEN http://127.0.0.1:${server.address().port}/webhook`);
	try {
		await run();
	} catch (e) {
		check("no exception", false, e.stack);
	}
	console.log(`${passed} passed, ${failed} failed`);
	server.close();
	process.exit(failed === 0 ? 0 : 1);
});

function sentID(what, r) {
	const id = r?.messages?.[0]?.id;
	check(`${what}: answered with a wamid`, typeof id === "string" && id.startsWith("wamid."), JSON.stringify(r));
	check(`${what}: contacts[0].wa_id names the customer`, r?.contacts?.[0]?.wa_id === inbound.from, JSON.stringify(r));
	return id;
}

async function run() {
	if (!(await until(() => inbound, "the customer's message"))) return;
	const { message, name, from } = inbound;
	check("inbound text (non-ASCII) arrives intact", message.type === "text" && message.text?.body === expectText, JSON.stringify(message));
	check("inbound contact name (non-ASCII) arrives intact", name === expectName, name);
	check("inbound message has an id", typeof message.id === "string" && message.id.length > 0, message.id);

	const reply = sentID("text reply", await api.sendMessage(phoneID, from, new Text("Olá Zoë 👋 — नमस्ते, مرحبا"), message.id));
	console.log(`REPLY ${reply}`);
	const react = sentID("reaction", await api.sendMessage(phoneID, from, new Reaction(message.id, "👍")));
	const card = sentID("contacts", await api.sendMessage(phoneID, from,
		new Contacts([new Name("Zoë Ñandú", "Zoë", "Ñandú"), new Phone("+1 415 555 0199", "CELL")])));
	const tpl = sentID("template", await api.sendMessage(phoneID, from,
		new Template(template, new Language("es"), new BodyComponent(new BodyParameter("Nº 42 — café")))));
	const where = sentID("location request", await api.sendMessage(phoneID, from,
		new Interactive(new ActionLocation(), new Body("¿Dónde te recogemos? 📍"))));
	const read = await api.markAsRead(phoneID, message.id);
	check("mark as read", read?.success === true, JSON.stringify(read));

	await until(() => reaction, "the customer's reaction");
	if (reaction) {
		check("inbound reaction emoji arrives intact", reaction.reaction?.emoji === "❤️", JSON.stringify(reaction));
		check("inbound reaction names the reply", reaction.reaction?.message_id === reply, JSON.stringify(reaction));
	}
	for (const [what, id] of [["text reply", reply], ["contacts", card], ["template", tpl], ["location request", where]]) {
		await until(() => statuses.get(id)?.has("sent") && statuses.get(id)?.has("delivered"), `sent and delivered statuses of the ${what}`);
		const p = pricingOnSent.get(id);
		check(`the ${what}'s sent status has pricing`, !!p && typeof p.category === "string" && p.pricing_model === "PMP", JSON.stringify(p));
	}
	await until(() => statuses.get(react)?.has("sent"), "the reaction's sent status");
	check("every webhook was verified by the library", webhooks > 0, `${webhooks} webhooks`);
}
