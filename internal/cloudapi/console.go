package cloudapi

import (
	"net/http"
	"strconv"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/wire"
)

// debugToken answers Meta's GET /debug_token?input_token=: the token's
// validity, expiry and scopes, with the business account id as the
// scopes' target. Without input_token it inspects the caller's token. An
// invalid input token is answered as Meta does: 200 with is_valid false.
func debugToken(b *business.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, _ business.Business) error {
		in := r.URL.Query().Get("input_token")
		if in == "" {
			in = token(r)
		}
		t, biz, err := b.TokenInfo(r.Context(), in)
		if ce, ok := business.AsCloudError(err); ok && ce.Code == business.MetaAccessToken {
			writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"app_id": "parley", "type": "SYSTEM_USER",
				"application": "Parley", "is_valid": false, "scopes": []string{},
				"error": map[string]any{"code": ce.Code, "subcode": ce.Subcode, "message": ce.Message}}})
			return nil
		} else if err != nil {
			return err
		}
		var expires int64
		if !t.ExpiresAt.IsZero() {
			expires = t.ExpiresAt.Unix()
		}
		waba := []string{strconv.FormatInt(biz.ID, 10)}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
			"app_id": "parley", "type": "SYSTEM_USER", "application": "Parley",
			"data_access_expires_at": 0, "expires_at": expires, "issued_at": t.CreatedAt.Unix(), "is_valid": true,
			"scopes": []string{"whatsapp_business_management", "whatsapp_business_messaging"},
			"granular_scopes": []map[string]any{
				{"scope": "whatsapp_business_management", "target_ids": waba},
				{"scope": "whatsapp_business_messaging", "target_ids": waba},
			},
		}})
		return nil
	}
}

// asksBusinessFields reports whether ?fields= names a field only a
// business account has (name, currency, message_template_namespace):
// GET /{id}?fields=name then answers the business account even when the
// caller also owns a number with the same id (the id spaces overlap).
func asksBusinessFields(r *http.Request) bool {
	for _, f := range requestedFields(r) {
		switch f {
		case "name", "currency", "message_template_namespace", "analytics", "conversation_analytics", "pricing_analytics":
			return true
		}
	}
	return false
}

// number is the caller's number named by the path's id.
func number(r *http.Request, b *business.Service, biz business.Business) (business.BusinessNumber, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return business.BusinessNumber{}, err
	}
	return b.OwnNumber(r.Context(), biz, id)
}

// channelErr maps the channel codes Meta's table has no place for:
// a suspended channel is Meta's policy block (368); every other domain
// error goes through toCloud.
func channelErr(err error) error {
	switch parley.ErrorCode(err) {
	case parley.EChannelSuspended:
		return &business.CloudError{Code: business.MetaPolicyBlock, Message: "Temporarily blocked for policies violations", Details: parley.ErrorMessage(err)}
	case parley.ELimit, parley.EWindowClosed, parley.ESubscriptionRequired, parley.EPaymentDeclined:
		return &business.CloudError{Code: business.MetaInvalidParameter, Message: "Invalid parameter", Details: parley.ErrorMessage(err)}
	}
	return err
}

func numberChannels(b *business.Service, chs *channel.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		vs, err := chs.AdminChannels(r.Context(), n.NumberPrincipal())
		if err != nil {
			return channelErr(err)
		}
		if vs == nil {
			vs = []wire.ChannelView{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": vs})
		return nil
	}
}

func createNumberChannel(b *business.Service, chs *channel.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		n, err := number(r, b, biz)
		if err != nil {
			return err
		}
		var in wire.ChannelInput
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		v, err := chs.CreateChannel(r.Context(), n.NumberPrincipal(), in)
		if err != nil {
			return channelErr(err)
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

// channelOf reads the caller's number and the path's channel id.
func channelOf(r *http.Request, b *business.Service, biz business.Business) (parley.Principal, int64, error) {
	n, err := number(r, b, biz)
	if err != nil {
		return parley.Principal{}, 0, err
	}
	ch, err := pathID(r, "channel")
	if err != nil {
		return parley.Principal{}, 0, err
	}
	return n.NumberPrincipal(), ch, nil
}

// queryInt reads an optional non-negative integer query parameter.
func queryInt(r *http.Request, name string, max int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, &business.CloudError{Code: business.MetaInvalidParameter, Message: "Invalid parameter", Details: "Param " + name + " must be a non-negative integer"}
	}
	return min(v, max), nil
}

func numberChannelPosts(b *business.Service, chs *channel.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		p, ch, err := channelOf(r, b, biz)
		if err != nil {
			return err
		}
		before, err := queryInt(r, "before", 1<<62)
		if err != nil {
			return err
		}
		limit, err := queryInt(r, "limit", 100)
		if err != nil {
			return err
		}
		page, err := chs.Timeline(r.Context(), p, ch, before, int(limit))
		if err != nil {
			return channelErr(err)
		}
		if page.Posts == nil {
			page.Posts = []wire.PostView{}
		}
		writeJSON(w, http.StatusOK, page)
		return nil
	}
}

func numberChannelPost(b *business.Service, chs *channel.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		p, ch, err := channelOf(r, b, biz)
		if err != nil {
			return err
		}
		var in wire.PostInput
		if err := decode(w, r, 64<<10, &in); err != nil {
			return err
		}
		v, err := chs.CreatePost(r.Context(), p, ch, in)
		if err != nil {
			return channelErr(err)
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func numberChannelInsights(b *business.Service, chs *channel.Service) bizFunc {
	return func(w http.ResponseWriter, r *http.Request, biz business.Business) error {
		p, ch, err := channelOf(r, b, biz)
		if err != nil {
			return err
		}
		days, err := queryInt(r, "days", 1000)
		if err != nil {
			return err
		}
		in, err := chs.Insights(r.Context(), p, ch, int(days))
		if err != nil {
			return channelErr(err)
		}
		writeJSON(w, http.StatusOK, in)
		return nil
	}
}
