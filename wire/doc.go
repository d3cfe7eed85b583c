// Package wire holds the JSON shapes of Parley's own API: the bodies of
// /v1 (and the few operator routes the Go client calls) and the WebSocket
// frames. The server encodes them and package client decodes them, so a
// client compiles these shapes and the kernel's error codes, never the
// domain. (tailscale's tailcfg plays the same part.)
//
// What it owns:
//
//   - the WebSocket frame, Event, with its EventType values (the channel
//     events included), Error (the error shape of HTTP and WebSocket
//     alike), and the bodies of receipt and event entries (ReceiptBody,
//     ChatEventBody);
//   - Entry, an inbox entry as its device receives it;
//   - the views of chats, profiles and contacts, channels and posts,
//     subscriptions and promotions, premium, pins, donations, statements,
//     payouts and transparency, the licence, and a business's public
//     profile;
//   - Content, the plaintext body schema of a message that clients and the
//     server-held cloud devices of business numbers share;
//   - the enumerations these carry (MessageKind, Role, Visibility,
//     ChatKind, EntryType, PostKind, FollowPolicy, ChannelRole,
//     SubscriptionStatus). The domain packages keep their names for them
//     as aliases (chat.Role = wire.Role), because their stores and rules
//     use them everywhere.
//
// Where a type is both a record the server keeps and a shape on the wire,
// the wire has its own type when the record holds more than the shape, and
// the domain converts:
//
//   - chat.Entry is the stored inbox entry; it also knows the device it is
//     queued for and whether its expiry is notified, which no device sees.
//     wire.Entry is the rest, and chat.Entry.Wire converts.
//   - money.Money and money.LedgerEntry stay money's: money owns amounts
//     and their one rounding rule (money.RevenueShare), and imports nothing
//     but the kernel. wire.Money and wire.LedgerEntry are their JSON shapes,
//     with the same fields, so a conversion (wire.LedgerEntry(e)) compiles
//     only while the two agree.
//   - revenue's OperatingCost holds exactly what the operator sends and
//     sees, so it lives here and revenue stores it as is.
//
// Meta's webhook payloads are here too (cloudwebhook.go: WebhookEnvelope,
// MessagesValue, InboundMessage, StatusUpdate, Pricing...): they are pure
// JSON shapes that business encodes into the outbox and a receiver (the
// tests, a business's Go code) decodes, and they build on the content
// shapes above (Referral, Order, Location). The outbox row that carries
// them (business.Webhook) and the Graph API request and response bodies
// stay with the business surface, in business and internal/cloudapi.
//
// wire imports only the kernel (for Code) and the standard library;
// deps_test.go enforces it.
package wire
