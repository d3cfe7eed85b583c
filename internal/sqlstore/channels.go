package sqlstore

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/wire"
)

const channelCols = `id, handle, name, description, picture_media_id, category, country, language,
	owner_id, verified, listed, follow_policy, allow_forwards, allow_reactions, invite_code,
	suspend_reason, suspended_at, created_at, last_seq, followers`

func scanChannel(sc Row) (channel.Channel, error) {
	var c channel.Channel
	err := sc.Scan(&c.ID, &c.Handle, &c.Name, &c.Description, &c.PictureMediaID, &c.Category, &c.Country, &c.Language,
		&c.OwnerID, &c.Verified, &c.Listed, &c.FollowPolicy, &c.AllowForwards, &c.AllowReactions, &c.InviteCode,
		&c.SuspendReason, tcol(&c.SuspendedAt), tcol(&c.CreatedAt), &c.LastSeq, &c.Followers)
	return c, err
}

func (s *Store) queryChannels(ctx context.Context, q string, args ...any) ([]channel.Channel, error) {
	rows, err := s.r.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []channel.Channel
	for rows.Next() {
		c, err := scanChannel(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CreateChannel inserts c and its owner as admin, and sets c.ID.
func (s *Store) CreateChannel(ctx context.Context, c *channel.Channel) error {
	err := s.tx(ctx, func(tx Querier) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO channels (handle, name, description, picture_media_id, category, country, language,
				owner_id, verified, listed, follow_policy, allow_forwards, allow_reactions, invite_code,
				suspend_reason, suspended_at, created_at, last_seq, followers)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			c.Handle, c.Name, c.Description, c.PictureMediaID, c.Category, c.Country, c.Language,
			c.OwnerID, c.Verified, c.Listed, c.FollowPolicy, c.AllowForwards, c.AllowReactions, c.InviteCode,
			c.SuspendReason, s.ts(c.SuspendedAt), s.ts(c.CreatedAt), c.LastSeq, c.Followers).Scan(&c.ID)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO channel_admins (channel_id, account_id, role, added_at) VALUES (?, ?, ?, ?)`,
			c.ID, c.OwnerID, channel.ChannelOwner, s.ts(c.CreatedAt))
		return err
	})
	return s.wrap("create channel", err)
}

// GetChannel returns the channel, or ErrNotFound.
func (s *Store) GetChannel(ctx context.Context, id int64) (channel.Channel, error) {
	c, err := scanChannel(s.r.QueryRow(ctx, `SELECT `+channelCols+` FROM channels WHERE id = ?`, id))
	return c, s.wrap("get channel", err)
}

// GetChannelByInvite returns the channel with that invite code, or ErrNotFound.
func (s *Store) GetChannelByInvite(ctx context.Context, code string) (channel.Channel, error) {
	c, err := scanChannel(s.r.QueryRow(ctx, `SELECT `+channelCols+` FROM channels WHERE invite_code = ?`, code))
	return c, s.wrap("get channel by invite", err)
}

// UpdateChannel writes the profile and settings of c.
func (s *Store) UpdateChannel(ctx context.Context, c channel.Channel) error {
	err := affected(s.w.Exec(ctx, `UPDATE channels SET name = ?, description = ?, picture_media_id = ?,
		category = ?, country = ?, language = ?, listed = ?, follow_policy = ?, allow_forwards = ?,
		allow_reactions = ?, invite_code = ? WHERE id = ?`,
		c.Name, c.Description, c.PictureMediaID, c.Category, c.Country, c.Language, c.Listed, c.FollowPolicy,
		c.AllowForwards, c.AllowReactions, c.InviteCode, c.ID))
	return s.wrap("update channel", err)
}

// SetChannelVerified sets the verified badge.
func (s *Store) SetChannelVerified(ctx context.Context, id int64, verified bool) error {
	err := affected(s.w.Exec(ctx, `UPDATE channels SET verified = ? WHERE id = ?`, verified, id))
	return s.wrap("set channel verified", err)
}

// SetChannelSuspension suspends the channel, or lifts the suspension for a zero t.
func (s *Store) SetChannelSuspension(ctx context.Context, id int64, reason string, t time.Time) error {
	if t.IsZero() {
		reason = ""
	}
	err := affected(s.w.Exec(ctx, `UPDATE channels SET suspend_reason = ?, suspended_at = ? WHERE id = ?`, reason, s.ts(t), id))
	return s.wrap("set channel suspension", err)
}

// ChannelAdmins returns the channel's admins, owner first.
func (s *Store) ChannelAdmins(ctx context.Context, channelID int64) ([]channel.ChannelAdminRow, error) {
	rows, err := s.r.Query(ctx, `SELECT channel_id, account_id, role, added_at FROM channel_admins
		WHERE channel_id = ? ORDER BY role = 'owner' DESC, account_id`, channelID)
	if err != nil {
		return nil, s.wrap("channel admins", err)
	}
	defer rows.Close()
	var out []channel.ChannelAdminRow
	for rows.Next() {
		var a channel.ChannelAdminRow
		if err := rows.Scan(&a.ChannelID, &a.AccountID, &a.Role, tcol(&a.AddedAt)); err != nil {
			return nil, s.wrap("channel admins", err)
		}
		out = append(out, a)
	}
	return out, s.wrap("channel admins", rows.Err())
}

// GetChannelAdmin returns one admin row, or ErrNotFound.
func (s *Store) GetChannelAdmin(ctx context.Context, channelID, accountID int64) (channel.ChannelAdminRow, error) {
	a := channel.ChannelAdminRow{ChannelID: channelID, AccountID: accountID}
	err := s.r.QueryRow(ctx, `SELECT role, added_at FROM channel_admins WHERE channel_id = ? AND account_id = ?`,
		channelID, accountID).Scan(&a.Role, tcol(&a.AddedAt))
	return a, s.wrap("get channel admin", err)
}

// AddChannelAdmin adds an admin, within limit.
func (s *Store) AddChannelAdmin(ctx context.Context, a channel.ChannelAdminRow, limit int) error {
	err := s.tx(ctx, func(tx Querier) error {
		// Lock the channel so that concurrent adds cannot pass the limit together.
		if err := s.lockRow(ctx, tx, "channels", a.ChannelID); err != nil {
			return err
		}
		var exists, n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE account_id = ?) FROM channel_admins WHERE channel_id = ?`,
			a.AccountID, a.ChannelID).Scan(&n, &exists); err != nil {
			return err
		}
		if exists > 0 {
			return nil
		}
		if n+1 > limit {
			return &parley.Error{Code: parley.ELimit, Message: "too many admins", Details: map[string]any{"limit": limit}}
		}
		_, err := tx.Exec(ctx, `INSERT INTO channel_admins (channel_id, account_id, role, added_at) VALUES (?, ?, ?, ?)`,
			a.ChannelID, a.AccountID, a.Role, s.ts(a.AddedAt))
		return err
	})
	return s.wrap("add channel admin", err)
}

// RemoveChannelAdmin removes an admin, or returns ErrNotFound.
func (s *Store) RemoveChannelAdmin(ctx context.Context, channelID, accountID int64) error {
	err := affected(s.w.Exec(ctx, `DELETE FROM channel_admins WHERE channel_id = ? AND account_id = ?`, channelID, accountID))
	return s.wrap("remove channel admin", err)
}

// AdminChannels returns the channels accountID administers.
func (s *Store) AdminChannels(ctx context.Context, accountID int64) ([]channel.Channel, error) {
	cs, err := s.queryChannels(ctx, `SELECT `+channelCols+` FROM channels
		WHERE id IN (SELECT channel_id FROM channel_admins WHERE account_id = ?) ORDER BY id`, accountID)
	return cs, s.wrap("admin channels", err)
}

// bumpDay adds to the follows or unfollows of a day and records the
// channel's current follower count.
func bumpDay(ctx context.Context, tx Querier, channelID int64, at time.Time, follows, unfollows int) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO channel_days (channel_id, day, follows, unfollows, followers)
		VALUES (?, ?, ?, ?, (SELECT followers FROM channels WHERE id = ?))
		ON CONFLICT (channel_id, day) DO UPDATE SET follows = channel_days.follows + ?, unfollows = channel_days.unfollows + ?,
			followers = excluded.followers`,
		channelID, channel.DayOf(at), follows, unfollows, channelID, follows, unfollows)
	return err
}

// AddFollow records a follow and counts it.
func (s *Store) AddFollow(ctx context.Context, f channel.Follow) (bool, error) {
	added := false
	err := s.tx(ctx, func(tx Querier) error {
		n, err := tx.Exec(ctx, `INSERT INTO channel_follows (channel_id, account_id, muted, read_seq, followed_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, f.ChannelID, f.AccountID, f.Muted, f.ReadSeq, s.ts(f.FollowedAt))
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		added = true
		if _, err := tx.Exec(ctx, `UPDATE channels SET followers = followers + 1 WHERE id = ?`, f.ChannelID); err != nil {
			return err
		}
		return bumpDay(ctx, tx, f.ChannelID, f.FollowedAt, 1, 0)
	})
	return added, s.wrap("add follow", err)
}

// RemoveFollow deletes a follow and counts the unfollow.
func (s *Store) RemoveFollow(ctx context.Context, channelID, accountID int64, at time.Time) (bool, error) {
	removed := false
	err := s.tx(ctx, func(tx Querier) error {
		n, err := tx.Exec(ctx, `DELETE FROM channel_follows WHERE channel_id = ? AND account_id = ?`, channelID, accountID)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		removed = true
		if _, err := tx.Exec(ctx, `UPDATE channels SET followers = followers - 1 WHERE id = ?`, channelID); err != nil {
			return err
		}
		return bumpDay(ctx, tx, channelID, at, 0, 1)
	})
	return removed, s.wrap("remove follow", err)
}

// GetFollow returns the follow, or ErrNotFound.
func (s *Store) GetFollow(ctx context.Context, channelID, accountID int64) (channel.Follow, error) {
	f := channel.Follow{ChannelID: channelID, AccountID: accountID}
	err := s.r.QueryRow(ctx, `SELECT muted, read_seq, followed_at FROM channel_follows WHERE channel_id = ? AND account_id = ?`,
		channelID, accountID).Scan(&f.Muted, &f.ReadSeq, tcol(&f.FollowedAt))
	return f, s.wrap("get follow", err)
}

// SetFollowMuted sets Muted.
func (s *Store) SetFollowMuted(ctx context.Context, channelID, accountID int64, muted bool) error {
	err := affected(s.w.Exec(ctx, `UPDATE channel_follows SET muted = ? WHERE channel_id = ? AND account_id = ?`, muted, channelID, accountID))
	return s.wrap("set follow muted", err)
}

// RaiseReadSeq raises the read cursor.
func (s *Store) RaiseReadSeq(ctx context.Context, channelID, accountID, seq int64) error {
	err := affected(s.w.Exec(ctx, `UPDATE channel_follows SET read_seq = `+s.d.Greatest()+`(read_seq, ?) WHERE channel_id = ? AND account_id = ?`,
		seq, channelID, accountID))
	return s.wrap("raise read seq", err)
}

// FollowedChannels returns the account's follows and their channels.
func (s *Store) FollowedChannels(ctx context.Context, accountID int64) ([]channel.Follow, []channel.Channel, error) {
	rows, err := s.r.Query(ctx, `SELECT f.muted, f.read_seq, f.followed_at, `+PrefixCols("c.", channelCols)+`
		FROM channel_follows f JOIN channels c ON c.id = f.channel_id WHERE f.account_id = ? ORDER BY c.id`, accountID)
	if err != nil {
		return nil, nil, s.wrap("followed channels", err)
	}
	defer rows.Close()
	var fs []channel.Follow
	var cs []channel.Channel
	for rows.Next() {
		var f channel.Follow
		var c channel.Channel
		err := rows.Scan(&f.Muted, &f.ReadSeq, tcol(&f.FollowedAt),
			&c.ID, &c.Handle, &c.Name, &c.Description, &c.PictureMediaID, &c.Category, &c.Country, &c.Language,
			&c.OwnerID, &c.Verified, &c.Listed, &c.FollowPolicy, &c.AllowForwards, &c.AllowReactions, &c.InviteCode,
			&c.SuspendReason, tcol(&c.SuspendedAt), tcol(&c.CreatedAt), &c.LastSeq, &c.Followers)
		if err != nil {
			return nil, nil, s.wrap("followed channels", err)
		}
		f.ChannelID, f.AccountID = c.ID, accountID
		fs, cs = append(fs, f), append(cs, c)
	}
	return fs, cs, s.wrap("followed channels", rows.Err())
}

// PrefixCols puts prefix before every column of a comma-separated list.
func PrefixCols(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// PutFollowRequest stores r, or returns the account's existing request.
func (s *Store) PutFollowRequest(ctx context.Context, r channel.FollowRequest) (channel.FollowRequest, error) {
	var out channel.FollowRequest
	err := s.tx(ctx, func(tx Querier) error {
		_, err := tx.Exec(ctx, `INSERT INTO channel_follow_requests (id, channel_id, account_id, created_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (channel_id, account_id) DO NOTHING`, r.ID, r.ChannelID, r.AccountID, s.ts(r.CreatedAt))
		if err != nil {
			return err
		}
		out = channel.FollowRequest{ChannelID: r.ChannelID, AccountID: r.AccountID}
		return tx.QueryRow(ctx, `SELECT id, created_at FROM channel_follow_requests WHERE channel_id = ? AND account_id = ?`,
			r.ChannelID, r.AccountID).Scan(&out.ID, tcol(&out.CreatedAt))
	})
	return out, s.wrap("put follow request", err)
}

// FollowRequests returns the channel's oldest requests.
func (s *Store) FollowRequests(ctx context.Context, channelID int64, limit int) ([]channel.FollowRequest, error) {
	rows, err := s.r.Query(ctx, `SELECT id, account_id, created_at FROM channel_follow_requests
		WHERE channel_id = ? ORDER BY created_at, id LIMIT ?`, channelID, limit)
	if err != nil {
		return nil, s.wrap("follow requests", err)
	}
	defer rows.Close()
	var out []channel.FollowRequest
	for rows.Next() {
		r := channel.FollowRequest{ChannelID: channelID}
		if err := rows.Scan(&r.ID, &r.AccountID, tcol(&r.CreatedAt)); err != nil {
			return nil, s.wrap("follow requests", err)
		}
		out = append(out, r)
	}
	return out, s.wrap("follow requests", rows.Err())
}

// CountFollowRequests returns how many requests are pending.
func (s *Store) CountFollowRequests(ctx context.Context, channelID int64) (int64, error) {
	var n int64
	err := s.r.QueryRow(ctx, `SELECT COUNT(*) FROM channel_follow_requests WHERE channel_id = ?`, channelID).Scan(&n)
	return n, s.wrap("count follow requests", err)
}

// GetFollowRequest returns a request, or ErrNotFound.
func (s *Store) GetFollowRequest(ctx context.Context, channelID int64, id string) (channel.FollowRequest, error) {
	r := channel.FollowRequest{ID: id, ChannelID: channelID}
	err := s.r.QueryRow(ctx, `SELECT account_id, created_at FROM channel_follow_requests WHERE channel_id = ? AND id = ?`,
		channelID, id).Scan(&r.AccountID, tcol(&r.CreatedAt))
	return r, s.wrap("get follow request", err)
}

// FollowRequestOf returns the account's request, or ErrNotFound.
func (s *Store) FollowRequestOf(ctx context.Context, channelID, accountID int64) (channel.FollowRequest, error) {
	r := channel.FollowRequest{ChannelID: channelID, AccountID: accountID}
	err := s.r.QueryRow(ctx, `SELECT id, created_at FROM channel_follow_requests WHERE channel_id = ? AND account_id = ?`,
		channelID, accountID).Scan(&r.ID, tcol(&r.CreatedAt))
	return r, s.wrap("follow request of", err)
}

// DeleteFollowRequest deletes a request, or returns ErrNotFound.
func (s *Store) DeleteFollowRequest(ctx context.Context, channelID int64, id string) error {
	err := affected(s.w.Exec(ctx, `DELETE FROM channel_follow_requests WHERE channel_id = ? AND id = ?`, channelID, id))
	return s.wrap("delete follow request", err)
}

const postCols = `channel_id, seq, kind, text, media_id, link, poll, subscriber_only, author_id, created_at, edited_at, views`

func scanPost(sc Row) (channel.Post, error) {
	var p channel.Post
	var poll string
	err := sc.Scan(&p.ChannelID, &p.Seq, &p.Kind, &p.Text, &p.MediaID, &p.Link, &poll, &p.SubscriberOnly, &p.AuthorID,
		tcol(&p.CreatedAt), tcol(&p.EditedAt), &p.Views)
	if err == nil && poll != "" {
		p.Poll = new(wire.Poll)
		err = json.Unmarshal([]byte(poll), p.Poll)
	}
	return p, err
}

func encodePoll(p *wire.Poll) (string, error) {
	if p == nil {
		return "", nil
	}
	b, err := json.Marshal(p)
	return string(b), err
}

// CreatePost sequences and inserts p.
func (s *Store) CreatePost(ctx context.Context, p *channel.Post) error {
	poll, err := encodePoll(p.Poll)
	if err != nil {
		return s.wrap("create post", err)
	}
	err = s.tx(ctx, func(tx Querier) error {
		var seq int64
		if err := tx.QueryRow(ctx, `UPDATE channels SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq`,
			p.ChannelID).Scan(&seq); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO channel_posts (`+postCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ChannelID, seq, p.Kind, p.Text, p.MediaID, p.Link, poll, p.SubscriberOnly, p.AuthorID,
			s.ts(p.CreatedAt), s.ts(p.EditedAt), p.Views)
		if err != nil {
			return err
		}
		p.Seq = seq
		return nil
	})
	return s.wrap("create post", err)
}

// GetPost returns the post, or ErrNotFound.
func (s *Store) GetPost(ctx context.Context, channelID, seq int64) (channel.Post, error) {
	p, err := scanPost(s.r.QueryRow(ctx, `SELECT `+postCols+` FROM channel_posts WHERE channel_id = ? AND seq = ?`, channelID, seq))
	return p, s.wrap("get post", err)
}

// UpdatePost writes Text, Link, MediaID and EditedAt.
func (s *Store) UpdatePost(ctx context.Context, p channel.Post) error {
	err := affected(s.w.Exec(ctx, `UPDATE channel_posts SET text = ?, link = ?, media_id = ?, edited_at = ?
		WHERE channel_id = ? AND seq = ?`, p.Text, p.Link, p.MediaID, s.ts(p.EditedAt), p.ChannelID, p.Seq))
	return s.wrap("update post", err)
}

func deletePostRows(ctx context.Context, tx Querier, channelID, seq int64) error {
	for _, table := range []string{"channel_reactions", "channel_votes", "channel_views"} {
		if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE channel_id = ? AND seq = ?`, channelID, seq); err != nil {
			return err
		}
	}
	return nil
}

// DeletePost deletes the post and what hangs on it.
func (s *Store) DeletePost(ctx context.Context, channelID, seq int64) error {
	err := s.tx(ctx, func(tx Querier) error {
		n, err := tx.Exec(ctx, `DELETE FROM channel_posts WHERE channel_id = ? AND seq = ?`, channelID, seq)
		if err != nil {
			return err
		}
		if err := mustAffect(n); err != nil {
			return err
		}
		return deletePostRows(ctx, tx, channelID, seq)
	})
	return s.wrap("delete post", err)
}

// Posts returns a page of the timeline, newest first.
func (s *Store) Posts(ctx context.Context, channelID, before int64, limit int, withSubscriberOnly bool) ([]channel.Post, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.r.Query(ctx, `SELECT `+postCols+` FROM channel_posts
		WHERE channel_id = ? AND seq < ? AND (? OR NOT subscriber_only) ORDER BY seq DESC LIMIT ?`,
		channelID, before, withSubscriberOnly, limit)
	out, err := collect(rows, err, scanPost)
	return out, s.wrap("posts", err)
}

// PurgePosts deletes up to limit posts created before t.
func (s *Store) PurgePosts(ctx context.Context, before time.Time, limit int) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx Querier) error {
		rows, err := tx.Query(ctx, `SELECT channel_id, seq FROM channel_posts WHERE created_at < ? LIMIT ?`,
			s.ts(before), limit)
		if err != nil {
			return err
		}
		type key struct{ c, s int64 }
		var keys []key
		for rows.Next() {
			var k key
			if err := rows.Scan(&k.c, &k.s); err != nil {
				rows.Close()
				return err
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, k := range keys {
			if _, err := tx.Exec(ctx, `DELETE FROM channel_posts WHERE channel_id = ? AND seq = ?`, k.c, k.s); err != nil {
				return err
			}
			if err := deletePostRows(ctx, tx, k.c, k.s); err != nil {
				return err
			}
		}
		n = len(keys)
		return nil
	})
	return n, s.wrap("purge posts", err)
}

func (s *Store) postExists(ctx context.Context, tx Querier, channelID, seq int64) error {
	var one int
	return tx.QueryRow(ctx, `SELECT 1 FROM channel_posts WHERE channel_id = ? AND seq = ?`, channelID, seq).Scan(&one)
}

// SetReaction sets or removes accountID's reaction.
func (s *Store) SetReaction(ctx context.Context, channelID, seq, accountID int64, emoji string) error {
	err := s.tx(ctx, func(tx Querier) error {
		if err := s.postExists(ctx, tx, channelID, seq); err != nil {
			return err
		}
		if emoji == "" {
			_, err := tx.Exec(ctx, `DELETE FROM channel_reactions WHERE channel_id = ? AND seq = ? AND account_id = ?`, channelID, seq, accountID)
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO channel_reactions (channel_id, seq, account_id, emoji) VALUES (?, ?, ?, ?)
			ON CONFLICT (channel_id, seq, account_id) DO UPDATE SET emoji = excluded.emoji`, channelID, seq, accountID, emoji)
		return err
	})
	return s.wrap("set reaction", err)
}

// SetVotes replaces accountID's votes.
func (s *Store) SetVotes(ctx context.Context, channelID, seq, accountID int64, options []int) error {
	err := s.tx(ctx, func(tx Querier) error {
		if err := s.postExists(ctx, tx, channelID, seq); err != nil {
			return err
		}
		// Serialise one account's vote changes on a post, so that two
		// concurrent changes cannot leave the union of both.
		if err := s.d.Lock(ctx, tx, int32(seq), int32(accountID)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM channel_votes WHERE channel_id = ? AND seq = ? AND account_id = ?`, channelID, seq, accountID); err != nil {
			return err
		}
		for _, o := range options {
			if _, err := tx.Exec(ctx, `INSERT INTO channel_votes (channel_id, seq, account_id, choice) VALUES (?, ?, ?, ?)
				ON CONFLICT DO NOTHING`, channelID, seq, accountID, o); err != nil {
				return err
			}
		}
		return nil
	})
	return s.wrap("set votes", err)
}

// seqList renders seqs as a comma-separated list of integers for IN (...).
func seqList(seqs []int64) string {
	var b strings.Builder
	for i, s := range seqs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(s, 10))
	}
	return b.String()
}

// PostStats returns reactions and votes of posts.
func (s *Store) PostStats(ctx context.Context, channelID int64, seqs []int64) (map[int64]channel.PostStats, error) {
	out := map[int64]channel.PostStats{}
	if len(seqs) == 0 {
		return out, nil
	}
	in := seqList(seqs)
	rows, err := s.r.Query(ctx, `SELECT seq, emoji, COUNT(*) FROM channel_reactions
		WHERE channel_id = ? AND seq IN (`+in+`) GROUP BY seq, emoji`, channelID)
	if err != nil {
		return nil, s.wrap("post stats", err)
	}
	for rows.Next() {
		var seq, n int64
		var emoji string
		if err := rows.Scan(&seq, &emoji, &n); err != nil {
			rows.Close()
			return nil, s.wrap("post stats", err)
		}
		st := out[seq]
		if st.Reactions == nil {
			st.Reactions = map[string]int64{}
		}
		st.Reactions[emoji] = n
		out[seq] = st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.wrap("post stats", err)
	}
	rows, err = s.r.Query(ctx, `SELECT seq, choice, COUNT(*) FROM channel_votes
		WHERE channel_id = ? AND seq IN (`+in+`) GROUP BY seq, choice ORDER BY seq, choice`, channelID)
	if err != nil {
		return nil, s.wrap("post stats", err)
	}
	for rows.Next() {
		var seq, n int64
		var opt int
		if err := rows.Scan(&seq, &opt, &n); err != nil {
			rows.Close()
			return nil, s.wrap("post stats", err)
		}
		st := out[seq]
		for len(st.Votes) <= opt {
			st.Votes = append(st.Votes, 0)
		}
		st.Votes[opt] = n
		out[seq] = st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.wrap("post stats", err)
	}
	rows, err = s.r.Query(ctx, `SELECT seq, COUNT(DISTINCT account_id) FROM channel_votes
		WHERE channel_id = ? AND seq IN (`+in+`) GROUP BY seq`, channelID)
	if err != nil {
		return nil, s.wrap("post stats", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq, n int64
		if err := rows.Scan(&seq, &n); err != nil {
			return nil, s.wrap("post stats", err)
		}
		st := out[seq]
		st.Voters = n
		out[seq] = st
	}
	return out, s.wrap("post stats", rows.Err())
}

// PostMine returns accountID's reactions and votes.
func (s *Store) PostMine(ctx context.Context, channelID, accountID int64, seqs []int64) (map[int64]channel.PostMine, error) {
	out := map[int64]channel.PostMine{}
	if len(seqs) == 0 {
		return out, nil
	}
	in := seqList(seqs)
	rows, err := s.r.Query(ctx, `SELECT seq, emoji, -1 FROM channel_reactions WHERE channel_id = ? AND account_id = ? AND seq IN (`+in+`)
		UNION ALL SELECT seq, '', choice FROM channel_votes WHERE channel_id = ? AND account_id = ? AND seq IN (`+in+`)
		ORDER BY 1, 3`, channelID, accountID, channelID, accountID)
	if err != nil {
		return nil, s.wrap("post mine", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var emoji string
		var opt int
		if err := rows.Scan(&seq, &emoji, &opt); err != nil {
			return nil, s.wrap("post mine", err)
		}
		m := out[seq]
		if opt < 0 {
			m.Reaction = emoji
		} else {
			m.Votes = append(m.Votes, opt)
		}
		out[seq] = m
	}
	return out, s.wrap("post mine", rows.Err())
}

// AddView counts a viewer once per post.
func (s *Store) AddView(ctx context.Context, channelID, seq int64, viewer []byte) (bool, error) {
	added := false
	err := s.tx(ctx, func(tx Querier) error {
		if err := s.postExists(ctx, tx, channelID, seq); err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `INSERT INTO channel_views (channel_id, seq, viewer) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			channelID, seq, viewer)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		added = true
		_, err = tx.Exec(ctx, `UPDATE channel_posts SET views = views + 1 WHERE channel_id = ? AND seq = ?`, channelID, seq)
		return err
	})
	return added, s.wrap("add view", err)
}

// likePattern escapes s for LIKE ... ESCAPE '\' and wraps it in %.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// Directory returns listed, unsuspended channels matching q.
func (s *Store) Directory(ctx context.Context, q channel.DirectoryQuery) ([]channel.Channel, error) {
	where := []string{"listed", "suspended_at IS NULL"}
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if q.Category != "" {
		add("category = ?", q.Category)
	}
	if q.Country != "" {
		add("country = ?", q.Country)
	}
	if q.Language != "" {
		add("language = ?", q.Language)
	}
	if q.Search != "" {
		p := likePattern(q.Search)
		where = append(where, `(lower(name) LIKE ? ESCAPE '\' OR handle LIKE ? ESCAPE '\')`)
		args = append(args, p, p)
	}
	order := "followers DESC, id"
	sel := `SELECT ` + channelCols + ` FROM channels`
	switch q.Sort {
	case channel.SortNew:
		order = "created_at DESC, id DESC"
	case channel.SortGrowth:
		sel = `SELECT ` + channelCols + ` FROM (SELECT c.*, COALESCE((SELECT SUM(follows) FROM channel_days d
			WHERE d.channel_id = c.id AND d.day >= ?), 0) AS growth FROM channels c) sub`
		args = append([]any{q.Since}, args...)
		order = "growth DESC, followers DESC, id"
	}
	args = append(args, q.Limit, q.Offset)
	cs, err := s.queryChannels(ctx, sel+` WHERE `+strings.Join(where, " AND ")+` ORDER BY `+order+` LIMIT ? OFFSET ?`, args...)
	return cs, s.wrap("directory", err)
}

// ChannelDays returns daily aggregates.
func (s *Store) ChannelDays(ctx context.Context, channelID, from, to int64) ([]channel.ChannelDay, error) {
	rows, err := s.r.Query(ctx, `SELECT day, follows, unfollows, followers FROM channel_days
		WHERE channel_id = ? AND day >= ? AND day <= ? ORDER BY day`, channelID, from, to)
	if err != nil {
		return nil, s.wrap("channel days", err)
	}
	defer rows.Close()
	var out []channel.ChannelDay
	for rows.Next() {
		d := channel.ChannelDay{ChannelID: channelID}
		if err := rows.Scan(&d.Day, &d.Follows, &d.Unfollows, &d.Followers); err != nil {
			return nil, s.wrap("channel days", err)
		}
		out = append(out, d)
	}
	return out, s.wrap("channel days", rows.Err())
}

// AddChannelReport stores a report once per reporter.
func (s *Store) AddChannelReport(ctx context.Context, r *channel.ChannelReport) error {
	err := s.tx(ctx, func(tx Querier) error {
		_, err := tx.Exec(ctx, `INSERT INTO channel_reports (channel_id, post_seq, reporter_id, reason, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, r.ChannelID, r.PostSeq, r.ReporterID, r.Reason, s.ts(r.CreatedAt))
		if err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT id FROM channel_reports WHERE channel_id = ? AND post_seq = ? AND reporter_id = ?`,
			r.ChannelID, r.PostSeq, r.ReporterID).Scan(&r.ID)
	})
	return s.wrap("add channel report", err)
}

// ChannelReports returns the newest reports.
func (s *Store) ChannelReports(ctx context.Context, limit int) ([]channel.ChannelReport, error) {
	rows, err := s.r.Query(ctx, `SELECT id, channel_id, post_seq, reporter_id, reason, created_at FROM channel_reports
		ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, s.wrap("channel reports", err)
	}
	defer rows.Close()
	var out []channel.ChannelReport
	for rows.Next() {
		var r channel.ChannelReport
		if err := rows.Scan(&r.ID, &r.ChannelID, &r.PostSeq, &r.ReporterID, &r.Reason, tcol(&r.CreatedAt)); err != nil {
			return nil, s.wrap("channel reports", err)
		}
		out = append(out, r)
	}
	return out, s.wrap("channel reports", rows.Err())
}

// InviteChannelAdmin stores an invitation within limit (admins and pending
// invitations together).
func (s *Store) InviteChannelAdmin(ctx context.Context, inv channel.AdminInvite, limit int) (channel.AdminInvite, bool, error) {
	out, created := inv, false
	err := s.tx(ctx, func(tx Querier) error {
		// Lock the channel so that concurrent invitations cannot pass the limit together.
		if err := s.lockRow(ctx, tx, "channels", inv.ChannelID); err != nil {
			return err
		}
		var admin int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM channel_admins WHERE channel_id = ? AND account_id = ?`,
			inv.ChannelID, inv.AccountID).Scan(&admin); err != nil {
			return err
		}
		if admin > 0 {
			return &parley.Error{Code: parley.EConflict, Message: "already an admin"}
		}
		err := tx.QueryRow(ctx, `SELECT invited_by, created_at FROM channel_admin_invites WHERE channel_id = ? AND account_id = ?`,
			inv.ChannelID, inv.AccountID).Scan(&out.InvitedBy, tcol(&out.CreatedAt))
		if err == nil {
			return nil
		} else if !noRows(err) {
			return err
		}
		out = inv
		var n int
		if err := tx.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM channel_admins WHERE channel_id = ?)
			+ (SELECT COUNT(*) FROM channel_admin_invites WHERE channel_id = ?)`, inv.ChannelID, inv.ChannelID).Scan(&n); err != nil {
			return err
		}
		if n+1 > limit {
			return &parley.Error{Code: parley.ELimit, Message: "too many admins", Details: map[string]any{"limit": limit}}
		}
		_, err = tx.Exec(ctx, `INSERT INTO channel_admin_invites (channel_id, account_id, invited_by, created_at) VALUES (?, ?, ?, ?)`,
			inv.ChannelID, inv.AccountID, inv.InvitedBy, s.ts(inv.CreatedAt))
		created = err == nil
		return err
	})
	if err != nil {
		return channel.AdminInvite{}, false, s.wrap("invite channel admin", err)
	}
	return out, created, nil
}

const adminInviteCols = `channel_id, account_id, invited_by, created_at`

func scanAdminInvite(r Row) (channel.AdminInvite, error) {
	var inv channel.AdminInvite
	err := r.Scan(&inv.ChannelID, &inv.AccountID, &inv.InvitedBy, tcol(&inv.CreatedAt))
	return inv, err
}

// ChannelAdminInvites returns the channel's pending invitations.
func (s *Store) ChannelAdminInvites(ctx context.Context, channelID int64) ([]channel.AdminInvite, error) {
	out, err := queryAll(ctx, s.r, `SELECT `+adminInviteCols+` FROM channel_admin_invites
		WHERE channel_id = ? ORDER BY account_id`, scanAdminInvite, channelID)
	return out, s.wrap("channel admin invites", err)
}

// AdminInvitesOf returns the invitations pending for accountID.
func (s *Store) AdminInvitesOf(ctx context.Context, accountID int64) ([]channel.AdminInvite, error) {
	out, err := queryAll(ctx, s.r, `SELECT `+adminInviteCols+` FROM channel_admin_invites
		WHERE account_id = ? ORDER BY created_at, channel_id`, scanAdminInvite, accountID)
	return out, s.wrap("admin invites of", err)
}

// AcceptChannelAdminInvite turns the invitation into an admin.
func (s *Store) AcceptChannelAdminInvite(ctx context.Context, channelID, accountID int64, at time.Time) error {
	err := s.tx(ctx, func(tx Querier) error {
		n, err := tx.Exec(ctx, `DELETE FROM channel_admin_invites WHERE channel_id = ? AND account_id = ?`, channelID, accountID)
		if err != nil {
			return err
		}
		if err := mustAffect(n); err != nil {
			return err
		}
		// The invitation was counted against the limit; taking its place
		// keeps the count.
		_, err = tx.Exec(ctx, `INSERT INTO channel_admins (channel_id, account_id, role, added_at) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, channelID, accountID, channel.ChannelAdmin, s.ts(at))
		return err
	})
	return s.wrap("accept channel admin invite", err)
}

// DeleteChannelAdminInvite deletes an invitation, or returns ErrNotFound.
func (s *Store) DeleteChannelAdminInvite(ctx context.Context, channelID, accountID int64) error {
	err := affected(s.w.Exec(ctx, `DELETE FROM channel_admin_invites WHERE channel_id = ? AND account_id = ?`, channelID, accountID))
	return s.wrap("delete channel admin invite", err)
}

// AddChannelMedia records media as the channel's.
func (s *Store) AddChannelMedia(ctx context.Context, channelID int64, mediaID string) error {
	err := s.tx(ctx, func(tx Querier) error {
		var owner int64
		err := tx.QueryRow(ctx, `SELECT channel_id FROM channel_media WHERE media_id = ?`, mediaID).Scan(&owner)
		switch {
		case err == nil && owner == channelID:
			return nil
		case err == nil:
			return &parley.Error{Code: parley.EConflict, Message: "the media is another channel's"}
		case !noRows(err):
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO channel_media (media_id, channel_id) VALUES (?, ?)`, mediaID, channelID)
		return err
	})
	return s.wrap("add channel media", err)
}

// IsChannelMedia reports whether the media was recorded for the channel.
func (s *Store) IsChannelMedia(ctx context.Context, channelID int64, mediaID string) (bool, error) {
	var ok bool
	err := s.r.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM channel_media WHERE media_id = ? AND channel_id = ?)`,
		mediaID, channelID).Scan(&ok)
	return ok, s.wrap("is channel media", err)
}
