package httpapi

import (
	"errors"
	"net/http"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/wire"
)

// The channel handlers. Routes are listed in routes.go; docs/CHANNELS.md
// documents them.

// queryInt reads an optional integer query parameter.
func pathSeq(r *http.Request) (int64, int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, 0, err
	}
	seq, err := pathID(r, "seq")
	return id, seq, err
}

// channelIDHandler adapts a handler of one channel id.
func channelIDHandler(fn func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		return fn(w, r, p, id)
	}
}

// postHandler adapts a handler of one post.
func postHandler(fn func(w http.ResponseWriter, r *http.Request, p parley.Principal, id, seq int64) error) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		id, seq, err := pathSeq(r)
		if err != nil {
			return err
		}
		return fn(w, r, p, id, seq)
	}
}

func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func createChannel(svc *channel.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in wire.ChannelInput
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		v, err := svc.CreateChannel(r.Context(), p, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, v)
		return nil
	}
}

func listFollowedChannels(svc *channel.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		vs, err := svc.FollowedChannels(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"channels": vs})
		return nil
	}
}

func listAdminChannels(svc *channel.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		vs, err := svc.AdminChannels(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"channels": vs})
		return nil
	}
}

func getChannel(svc *channel.Service) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		v, err := svc.GetChannel(r.Context(), p, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	})
}

func updateChannel(svc *channel.Service) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		var in wire.ChannelUpdate
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		v, err := svc.UpdateChannel(r.Context(), p, id, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	})
}

func resetInvite(svc *channel.Service) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		v, err := svc.ResetInvite(r.Context(), p, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	})
}

func channelByInvite(svc *channel.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		v, err := svc.ChannelByInvite(r.Context(), p, r.PathValue("code"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func listChannelAdmins(svc *channel.Service) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		as, invs, err := svc.ChannelAdmins(r.Context(), p, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"admins": as, "invites": invs})
		return nil
	})
}

func addChannelAdmin(svc *channel.Service) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		acct, err := pathID(r, "account")
		if err != nil {
			return err
		}
		inv, err := svc.InviteChannelAdmin(r.Context(), p, id, acct)
		if err != nil {
			return err
		}
		if inv == nil { // already an admin
			return noContent(w)
		}
		writeJSON(w, http.StatusAccepted, inv)
		return nil
	})
}

func listAdminInvites(svc *channel.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		invs, err := svc.AdminInvites(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"invites": invs})
		return nil
	}
}

func answerAdminInvite(svc *channel.Service, accept bool) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		if err := svc.AnswerAdminInvite(r.Context(), p, id, accept); err != nil {
			return err
		}
		return noContent(w)
	})
}

func removeChannelAdmin(svc *channel.Service) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		acct, err := pathID(r, "account")
		if err != nil {
			return err
		}
		if err := svc.RemoveChannelAdmin(r.Context(), p, id, acct); err != nil {
			return err
		}
		return noContent(w)
	})
}

func followChannel(svc *channel.Service) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		res, err := svc.Follow(r.Context(), p, id)
		if err != nil {
			return err
		}
		status := http.StatusOK
		if res.Status == "requested" {
			status = http.StatusAccepted
		}
		writeJSON(w, status, res)
		return nil
	})
}

func unfollowChannel(svc *channel.Service) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		if err := svc.Unfollow(r.Context(), p, id); err != nil {
			return err
		}
		return noContent(w)
	})
}

func muteChannel(svc *channel.Service) authedFunc {
	type req struct {
		Muted bool `json:"muted"`
	}
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		if err := svc.SetMuted(r.Context(), p, id, in.Muted); err != nil {
			return err
		}
		return noContent(w)
	})
}

func markChannelRead(svc *channel.Service) authedFunc {
	type req struct {
		Seq int64 `json:"seq"`
	}
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		if err := svc.MarkChannelRead(r.Context(), p, id, in.Seq); err != nil {
			return err
		}
		return noContent(w)
	})
}

func listFollowRequests(svc *channel.Service) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		rs, err := svc.FollowRequests(r.Context(), p, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"requests": rs})
		return nil
	})
}

func answerFollowRequest(svc *channel.Service, approve bool) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		if err := svc.AnswerFollowRequest(r.Context(), p, id, r.PathValue("request"), approve); err != nil {
			return err
		}
		return noContent(w)
	})
}

func uploadChannelMedia(svc *channel.Service) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		body := http.MaxBytesReader(w, r.Body, svc.MediaLimit(r.Context(), p.AccountID)+1)
		m, err := svc.UploadChannelMedia(r.Context(), p, id, r.Header.Get("Content-Type"), body)
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return svc.MediaTooLarge(r.Context(), p.AccountID)
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, mediaView{ID: m.ID, ContentType: m.ContentType, Size: m.Size, SHA256: m.SHA256, CreatedAt: m.CreatedAt})
		return nil
	})
}

func getChannelMedia(svc *channel.Service) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		m, rc, err := svc.OpenChannelMedia(r.Context(), p, id, r.PathValue("media"))
		if err != nil {
			return err
		}
		return serveMedia(w, r, m, rc)
	})
}

func createPost(svc *channel.Service) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		var in wire.PostInput
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		v, err := svc.CreatePost(r.Context(), p, id, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, v)
		return nil
	})
}

func timeline(svc *channel.Service) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		before, err := queryInt(r, "before", 0)
		if err != nil {
			return err
		}
		limit, err := queryInt(r, "limit", 0)
		if err != nil {
			return err
		}
		page, err := svc.Timeline(r.Context(), p, id, before, int(min(limit, 1000)))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, page)
		return nil
	})
}

func getPost(svc *channel.Service) authedFunc {
	return postHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id, seq int64) error {
		v, err := svc.GetPost(r.Context(), p, id, seq)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	})
}

func editPost(svc *channel.Service) authedFunc {
	return postHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id, seq int64) error {
		var in wire.PostEdit
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		v, err := svc.EditPost(r.Context(), p, id, seq, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	})
}

func deletePost(svc *channel.Service) authedFunc {
	return postHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id, seq int64) error {
		if err := svc.DeletePost(r.Context(), p, id, seq); err != nil {
			return err
		}
		return noContent(w)
	})
}

func reactToPost(svc *channel.Service) authedFunc {
	type req struct {
		Emoji string `json:"emoji"`
	}
	return postHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id, seq int64) error {
		var in req
		if r.Method != http.MethodDelete {
			if err := decode(w, r, maxJSON, &in); err != nil {
				return err
			}
			if in.Emoji == "" {
				return &parley.Error{Code: parley.EInvalid, Message: "emoji is required; DELETE removes a reaction", Details: map[string]any{"field": "emoji"}}
			}
		}
		if err := svc.React(r.Context(), p, id, seq, in.Emoji); err != nil {
			return err
		}
		return noContent(w)
	})
}

func voteOnPost(svc *channel.Service) authedFunc {
	type req struct {
		Options []int `json:"options"`
	}
	return postHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id, seq int64) error {
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		v, err := svc.Vote(r.Context(), p, id, seq, in.Options)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	})
}

func forwardPost(svc *channel.Service) authedFunc {
	return postHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id, seq int64) error {
		snap, err := svc.ForwardPost(r.Context(), p, id, seq)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, snap)
		return nil
	})
}

func recordViews(svc *channel.Service) authedFunc {
	type req struct {
		Seqs []int64 `json:"seqs"`
	}
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		if err := svc.RecordViews(r.Context(), p, id, in.Seqs); err != nil {
			return err
		}
		return noContent(w)
	})
}

func reportChannel(svc *channel.Service) authedFunc {
	type req struct {
		Seq    int64  `json:"seq"`
		Reason string `json:"reason"`
	}
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		if err := svc.Report(r.Context(), p, id, in.Seq, in.Reason); err != nil {
			return err
		}
		writeJSON(w, http.StatusAccepted, map[string]string{"status": "received"})
		return nil
	})
}

func channelInsights(svc *channel.Service) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		days, err := queryInt(r, "days", 0)
		if err != nil {
			return err
		}
		in, err := svc.Insights(r.Context(), p, id, int(min(days, 1000)))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, in)
		return nil
	})
}

func channelDirectory(svc *channel.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		q := r.URL.Query()
		offset, err := queryInt(r, "offset", 0)
		if err != nil {
			return err
		}
		limit, err := queryInt(r, "limit", 0)
		if err != nil {
			return err
		}
		vs, err := svc.Directory(r.Context(), p, channel.DirectoryRequest{
			Category: q.Get("category"), Country: q.Get("country"), Language: q.Get("language"),
			Query: q.Get("q"), Sort: channel.DirectorySort(q.Get("sort")), Offset: int(min(offset, 100000)), Limit: int(min(limit, 1000)),
		})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"channels": vs})
		return nil
	}
}

func listTiers(m *channel.Monetization) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		ts, err := m.Tiers(r.Context(), p, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"tiers": ts})
		return nil
	})
}

func createTier(m *channel.Monetization) authedFunc {
	type req struct {
		Name       string `json:"name"`
		PriceMinor int64  `json:"price_minor"`
	}
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		t, err := m.CreateTier(r.Context(), p, id, in.Name, in.PriceMinor)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, t)
		return nil
	})
}

func closeTier(m *channel.Monetization) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		tier, err := pathID(r, "tier")
		if err != nil {
			return err
		}
		if err := m.CloseTier(r.Context(), p, id, tier); err != nil {
			return err
		}
		return noContent(w)
	})
}

func getSubscription(m *channel.Monetization) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		v, err := m.MySubscription(r.Context(), p, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	})
}

func subscribe(m *channel.Monetization) authedFunc {
	type req struct {
		TierID        int64  `json:"tier_id"`
		PaymentMethod string `json:"payment_method"`
	}
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		v, err := m.Subscribe(r.Context(), p, id, in.TierID, in.PaymentMethod)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, v)
		return nil
	})
}

func cancelSubscription(m *channel.Monetization) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		v, err := m.CancelSubscription(r.Context(), p, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	})
}

func channelRevenue(m *channel.Monetization) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		rev, err := m.ChannelRevenue(r.Context(), p, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, rev)
		return nil
	})
}

func promote(m *channel.Monetization) authedFunc {
	type req struct {
		Days          int    `json:"days"`
		BudgetMinor   int64  `json:"budget_minor"`
		PaymentMethod string `json:"payment_method"`
	}
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		var in req
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		v, err := m.Promote(r.Context(), p, id, in.Days, in.BudgetMinor, in.PaymentMethod)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, v)
		return nil
	})
}

func listPromotions(m *channel.Monetization) authedFunc {
	return channelIDHandler(func(w http.ResponseWriter, r *http.Request, p parley.Principal, id int64) error {
		ps, err := m.Promotions(r.Context(), p, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"promotions": ps})
		return nil
	})
}
