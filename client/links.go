package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/parleyhq/parley/wire"
)

// ChatLink is a business's click-to-chat link as GET /c/{code} answers
// it: the business number to chat with, the message to prefill, and the
// click's id, which the first message carries back as its referral.
type ChatLink struct {
	Phone    string `json:"phone"`
	Business string `json:"business"`
	Text     string `json:"text,omitempty"`
	ClickID  string `json:"ctwa_clid"`
	DeepLink string `json:"deep_link"`
}

// OpenLink opens the click-to-chat link code (GET /c/{code}), which
// counts a click.
func (c *Client) OpenLink(ctx context.Context, code string) (ChatLink, error) {
	var l ChatLink
	err := c.do(ctx, http.MethodGet, "/c/"+url.PathEscape(code), nil, &l)
	return l, err
}

// StartLinkChat does what an app does with an opened link: it opens the
// direct chat with the link's number and sends the prefilled message
// (text, when not empty, instead) with the click's referral, which the
// business's webhook then carries. It returns the chat.
func (c *Client) StartLinkChat(ctx context.Context, l ChatLink, text string) (wire.ChatView, error) {
	cs, err := c.LookupContacts(ctx, l.Phone)
	if err != nil {
		return wire.ChatView{}, err
	}
	if len(cs) != 1 {
		return wire.ChatView{}, fmt.Errorf("the link's number %s is not on this server", l.Phone)
	}
	chat, err := c.OpenDirect(ctx, cs[0].ID)
	if err != nil {
		return wire.ChatView{}, err
	}
	if text == "" {
		text = l.Text
	}
	_, err = c.SendBody(ctx, chat.ID, NewMessageID(), wire.KindMessage, "", Body{Text: text, Referral: &wire.Referral{CtwaClid: l.ClickID}})
	return chat, err
}
