package main

import (
	"flag"

	"github.com/parleyhq/parley/chat/push"
)

// pushFlags binds the notification flags (docs/NOTIFICATIONS.md).
func pushFlags(fs *flag.FlagSet, getenv func(string) string, o *push.Options) {
	fs.StringVar(&o.Subscriber, "push-contact", getenv("PARLEY_PUSH_CONTACT"), "the operator's contact given to push services in every push (VAPID sub claim): an https URL or an e-mail address (env PARLEY_PUSH_CONTACT)")
	fs.BoolVar(&o.Insecure, "push-allow-http", envBool(getenv, "PARLEY_PUSH_ALLOW_HTTP"), "accept push subscriptions whose endpoint is http or a loopback or private address, for a distributor on the local network or development (env PARLEY_PUSH_ALLOW_HTTP); --webhook-allow must also list a private address for pushes to reach it")
}
