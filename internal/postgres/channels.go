package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/channel"
)

const channelCols = `id, handle, name, description, picture_media_id, category, country, language,
	owner_id, verified, listed, follow_policy, allow_forwards, allow_reactions, invite_code,
	suspend_reason, suspended_at, created_at, last_seq, followers`

func scanChannel(sc pgx.Row) (channel.Channel, error) {
	var c channel.Channel
	err := sc.Scan(&c.ID, &c.Handle, &c.Name, &c.Description, &c.PictureMediaID, &c.Category, &c.Country, &c.Language,
		&c.OwnerID, &c.Verified, &c.Listed, &c.FollowPolicy, &c.AllowForwards, &c.AllowReactions, &c.InviteCode,
		&c.SuspendReason, tcol(&c.SuspendedAt), tcol(&c.CreatedAt), &c.LastSeq, &c.Followers)
	return c, err
}

func (db *DB) queryChannels(ctx context.Context, q string, args ...any) ([]channel.Channel, error) {
	rows, err := db.pool.Query(ctx, q, args...)
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
func (db *DB) CreateChannel(ctx context.Context, c *channel.Channel) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO channels (handle, name, description, picture_media_id, category, country, language,
				owner_id, verified, listed, follow_policy, allow_forwards, allow_reactions, invite_code,
				suspend_reason, suspended_at, created_at, last_seq, followers)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id`,
			c.Handle, c.Name, c.Description, c.PictureMediaID, c.Category, c.Country, c.Language,
			c.OwnerID, c.Verified, c.Listed, c.FollowPolicy, c.AllowForwards, c.AllowReactions, c.InviteCode,
			c.SuspendReason, ts(c.SuspendedAt), ts(c.CreatedAt), c.LastSeq, c.Followers).Scan(&c.ID)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO channel_admins (channel_id, account_id, role, added_at) VALUES ($1, $2, $3, $4)`,
			c.ID, c.OwnerID, channel.ChannelOwner, ts(c.CreatedAt))
		return err
	})
	return wrap("create channel", err)
}

// GetChannel returns the channel, or ErrNotFound.
func (db *DB) GetChannel(ctx context.Context, id int64) (channel.Channel, error) {
	c, err := scanChannel(db.pool.QueryRow(ctx, `SELECT `+channelCols+` FROM channels WHERE id = $1`, id))
	return c, wrap("get channel", err)
}

// GetChannelByInvite returns the channel with that invite code, or ErrNotFound.
func (db *DB) GetChannelByInvite(ctx context.Context, code string) (channel.Channel, error) {
	c, err := scanChannel(db.pool.QueryRow(ctx, `SELECT `+channelCols+` FROM channels WHERE invite_code = $1`, code))
	return c, wrap("get channel by invite", err)
}

// UpdateChannel writes the profile and settings of c.
func (db *DB) UpdateChannel(ctx context.Context, c channel.Channel) error {
	res, err := db.pool.Exec(ctx, `UPDATE channels SET name = $1, description = $2, picture_media_id = $3,
		category = $4, country = $5, language = $6, listed = $7, follow_policy = $8, allow_forwards = $9,
		allow_reactions = $10, invite_code = $11 WHERE id = $12`,
		c.Name, c.Description, c.PictureMediaID, c.Category, c.Country, c.Language, c.Listed, c.FollowPolicy,
		c.AllowForwards, c.AllowReactions, c.InviteCode, c.ID)
	if err == nil {
		err = mustAffect(res, nil)
	}
	return wrap("update channel", err)
}

// SetChannelVerified sets the verified badge.
func (db *DB) SetChannelVerified(ctx context.Context, id int64, verified bool) error {
	res, err := db.pool.Exec(ctx, `UPDATE channels SET verified = $1 WHERE id = $2`, verified, id)
	if err == nil {
		err = mustAffect(res, nil)
	}
	return wrap("set channel verified", err)
}

// SetChannelSuspension suspends the channel, or lifts the suspension for a zero t.
func (db *DB) SetChannelSuspension(ctx context.Context, id int64, reason string, t time.Time) error {
	if t.IsZero() {
		reason = ""
	}
	res, err := db.pool.Exec(ctx, `UPDATE channels SET suspend_reason = $1, suspended_at = $2 WHERE id = $3`, reason, ts(t), id)
	if err == nil {
		err = mustAffect(res, nil)
	}
	return wrap("set channel suspension", err)
}

// ChannelAdmins returns the channel's admins, owner first.
func (db *DB) ChannelAdmins(ctx context.Context, channelID int64) ([]channel.ChannelAdminRow, error) {
	rows, err := db.pool.Query(ctx, `SELECT channel_id, account_id, role, added_at FROM channel_admins
		WHERE channel_id = $1 ORDER BY role = 'owner' DESC, account_id`, channelID)
	if err != nil {
		return nil, wrap("channel admins", err)
	}
	defer rows.Close()
	var out []channel.ChannelAdminRow
	for rows.Next() {
		var a channel.ChannelAdminRow
		if err := rows.Scan(&a.ChannelID, &a.AccountID, &a.Role, tcol(&a.AddedAt)); err != nil {
			return nil, wrap("channel admins", err)
		}
		out = append(out, a)
	}
	return out, wrap("channel admins", rows.Err())
}

// GetChannelAdmin returns one admin row, or ErrNotFound.
func (db *DB) GetChannelAdmin(ctx context.Context, channelID, accountID int64) (channel.ChannelAdminRow, error) {
	a := channel.ChannelAdminRow{ChannelID: channelID, AccountID: accountID}
	err := db.pool.QueryRow(ctx, `SELECT role, added_at FROM channel_admins WHERE channel_id = $1 AND account_id = $2`,
		channelID, accountID).Scan(&a.Role, tcol(&a.AddedAt))
	return a, wrap("get channel admin", err)
}

// AddChannelAdmin adds an admin, within limit.
func (db *DB) AddChannelAdmin(ctx context.Context, a channel.ChannelAdminRow, limit int) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		// Lock the channel so that concurrent adds cannot pass the limit together.
		var locked int64
		if err := tx.QueryRow(ctx, `SELECT id FROM channels WHERE id = $1 FOR UPDATE`, a.ChannelID).Scan(&locked); err != nil {
			return err
		}
		var exists, n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE account_id = $1) FROM channel_admins WHERE channel_id = $2`,
			a.AccountID, a.ChannelID).Scan(&n, &exists); err != nil {
			return err
		}
		if exists > 0 {
			return nil
		}
		if n+1 > limit {
			return &parley.Error{Code: parley.ELimit, Message: "too many admins", Details: map[string]any{"limit": limit}}
		}
		_, err := tx.Exec(ctx, `INSERT INTO channel_admins (channel_id, account_id, role, added_at) VALUES ($1, $2, $3, $4)`,
			a.ChannelID, a.AccountID, a.Role, ts(a.AddedAt))
		return err
	})
	return wrap("add channel admin", err)
}

// RemoveChannelAdmin removes an admin, or returns ErrNotFound.
func (db *DB) RemoveChannelAdmin(ctx context.Context, channelID, accountID int64) error {
	res, err := db.pool.Exec(ctx, `DELETE FROM channel_admins WHERE channel_id = $1 AND account_id = $2`, channelID, accountID)
	if err == nil {
		err = mustAffect(res, nil)
	}
	return wrap("remove channel admin", err)
}

// AdminChannels returns the channels accountID administers.
func (db *DB) AdminChannels(ctx context.Context, accountID int64) ([]channel.Channel, error) {
	cs, err := db.queryChannels(ctx, `SELECT `+channelCols+` FROM channels
		WHERE id IN (SELECT channel_id FROM channel_admins WHERE account_id = $1) ORDER BY id`, accountID)
	return cs, wrap("admin channels", err)
}

// bumpDay adds to the follows or unfollows of a day and records the
// channel's current follower count.
func bumpDay(ctx context.Context, tx pgx.Tx, channelID int64, at time.Time, follows, unfollows int) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO channel_days (channel_id, day, follows, unfollows, followers)
		VALUES ($1, $2, $3, $4, (SELECT followers FROM channels WHERE id = $1))
		ON CONFLICT (channel_id, day) DO UPDATE SET follows = channel_days.follows + $3, unfollows = channel_days.unfollows + $4,
			followers = excluded.followers`,
		channelID, channel.DayOf(at), follows, unfollows)
	return err
}

// AddFollow records a follow and counts it.
func (db *DB) AddFollow(ctx context.Context, f channel.Follow) (bool, error) {
	added := false
	err := db.tx(ctx, func(tx pgx.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO channel_follows (channel_id, account_id, muted, read_seq, followed_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, f.ChannelID, f.AccountID, f.Muted, f.ReadSeq, ts(f.FollowedAt))
		if err != nil {
			return err
		}
		if res.RowsAffected() == 0 {
			return nil
		}
		added = true
		if _, err := tx.Exec(ctx, `UPDATE channels SET followers = followers + 1 WHERE id = $1`, f.ChannelID); err != nil {
			return err
		}
		return bumpDay(ctx, tx, f.ChannelID, f.FollowedAt, 1, 0)
	})
	return added, wrap("add follow", err)
}

// RemoveFollow deletes a follow and counts the unfollow.
func (db *DB) RemoveFollow(ctx context.Context, channelID, accountID int64, at time.Time) (bool, error) {
	removed := false
	err := db.tx(ctx, func(tx pgx.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM channel_follows WHERE channel_id = $1 AND account_id = $2`, channelID, accountID)
		if err != nil {
			return err
		}
		if res.RowsAffected() == 0 {
			return nil
		}
		removed = true
		if _, err := tx.Exec(ctx, `UPDATE channels SET followers = followers - 1 WHERE id = $1`, channelID); err != nil {
			return err
		}
		return bumpDay(ctx, tx, channelID, at, 0, 1)
	})
	return removed, wrap("remove follow", err)
}

// GetFollow returns the follow, or ErrNotFound.
func (db *DB) GetFollow(ctx context.Context, channelID, accountID int64) (channel.Follow, error) {
	f := channel.Follow{ChannelID: channelID, AccountID: accountID}
	err := db.pool.QueryRow(ctx, `SELECT muted, read_seq, followed_at FROM channel_follows WHERE channel_id = $1 AND account_id = $2`,
		channelID, accountID).Scan(&f.Muted, &f.ReadSeq, tcol(&f.FollowedAt))
	return f, wrap("get follow", err)
}

// SetFollowMuted sets Muted.
func (db *DB) SetFollowMuted(ctx context.Context, channelID, accountID int64, muted bool) error {
	res, err := db.pool.Exec(ctx, `UPDATE channel_follows SET muted = $1 WHERE channel_id = $2 AND account_id = $3`, muted, channelID, accountID)
	if err == nil {
		err = mustAffect(res, nil)
	}
	return wrap("set follow muted", err)
}

// RaiseReadSeq raises the read cursor.
func (db *DB) RaiseReadSeq(ctx context.Context, channelID, accountID, seq int64) error {
	res, err := db.pool.Exec(ctx, `UPDATE channel_follows SET read_seq = GREATEST(read_seq, $1) WHERE channel_id = $2 AND account_id = $3`,
		seq, channelID, accountID)
	if err == nil {
		err = mustAffect(res, nil)
	}
	return wrap("raise read seq", err)
}

// FollowedChannels returns the account's follows and their channels.
func (db *DB) FollowedChannels(ctx context.Context, accountID int64) ([]channel.Follow, []channel.Channel, error) {
	rows, err := db.pool.Query(ctx, `SELECT f.muted, f.read_seq, f.followed_at, `+prefixCols("c.", channelCols)+`
		FROM channel_follows f JOIN channels c ON c.id = f.channel_id WHERE f.account_id = $1 ORDER BY c.id`, accountID)
	if err != nil {
		return nil, nil, wrap("followed channels", err)
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
			return nil, nil, wrap("followed channels", err)
		}
		f.ChannelID, f.AccountID = c.ID, accountID
		fs, cs = append(fs, f), append(cs, c)
	}
	return fs, cs, wrap("followed channels", rows.Err())
}

// prefixCols puts prefix before every column of a comma-separated list.
func prefixCols(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// PutFollowRequest stores r, or returns the account's existing request.
func (db *DB) PutFollowRequest(ctx context.Context, r channel.FollowRequest) (channel.FollowRequest, error) {
	var out channel.FollowRequest
	err := db.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO channel_follow_requests (id, channel_id, account_id, created_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (channel_id, account_id) DO NOTHING`, r.ID, r.ChannelID, r.AccountID, ts(r.CreatedAt))
		if err != nil {
			return err
		}
		out = channel.FollowRequest{ChannelID: r.ChannelID, AccountID: r.AccountID}
		return tx.QueryRow(ctx, `SELECT id, created_at FROM channel_follow_requests WHERE channel_id = $1 AND account_id = $2`,
			r.ChannelID, r.AccountID).Scan(&out.ID, tcol(&out.CreatedAt))
	})
	return out, wrap("put follow request", err)
}

// FollowRequests returns the channel's oldest requests.
func (db *DB) FollowRequests(ctx context.Context, channelID int64, limit int) ([]channel.FollowRequest, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, account_id, created_at FROM channel_follow_requests
		WHERE channel_id = $1 ORDER BY created_at, id LIMIT $2`, channelID, limit)
	if err != nil {
		return nil, wrap("follow requests", err)
	}
	defer rows.Close()
	var out []channel.FollowRequest
	for rows.Next() {
		r := channel.FollowRequest{ChannelID: channelID}
		if err := rows.Scan(&r.ID, &r.AccountID, tcol(&r.CreatedAt)); err != nil {
			return nil, wrap("follow requests", err)
		}
		out = append(out, r)
	}
	return out, wrap("follow requests", rows.Err())
}

// CountFollowRequests returns how many requests are pending.
func (db *DB) CountFollowRequests(ctx context.Context, channelID int64) (int64, error) {
	var n int64
	err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM channel_follow_requests WHERE channel_id = $1`, channelID).Scan(&n)
	return n, wrap("count follow requests", err)
}

// GetFollowRequest returns a request, or ErrNotFound.
func (db *DB) GetFollowRequest(ctx context.Context, channelID int64, id string) (channel.FollowRequest, error) {
	r := channel.FollowRequest{ID: id, ChannelID: channelID}
	err := db.pool.QueryRow(ctx, `SELECT account_id, created_at FROM channel_follow_requests WHERE channel_id = $1 AND id = $2`,
		channelID, id).Scan(&r.AccountID, tcol(&r.CreatedAt))
	return r, wrap("get follow request", err)
}

// FollowRequestOf returns the account's request, or ErrNotFound.
func (db *DB) FollowRequestOf(ctx context.Context, channelID, accountID int64) (channel.FollowRequest, error) {
	r := channel.FollowRequest{ChannelID: channelID, AccountID: accountID}
	err := db.pool.QueryRow(ctx, `SELECT id, created_at FROM channel_follow_requests WHERE channel_id = $1 AND account_id = $2`,
		channelID, accountID).Scan(&r.ID, tcol(&r.CreatedAt))
	return r, wrap("follow request of", err)
}

// DeleteFollowRequest deletes a request, or returns ErrNotFound.
func (db *DB) DeleteFollowRequest(ctx context.Context, channelID int64, id string) error {
	res, err := db.pool.Exec(ctx, `DELETE FROM channel_follow_requests WHERE channel_id = $1 AND id = $2`, channelID, id)
	if err == nil {
		err = mustAffect(res, nil)
	}
	return wrap("delete follow request", err)
}

const postCols = `channel_id, seq, kind, text, media_id, link, poll, subscriber_only, author_id, created_at, edited_at, views`

func scanPost(sc pgx.Row) (channel.Post, error) {
	var p channel.Post
	var poll string
	err := sc.Scan(&p.ChannelID, &p.Seq, &p.Kind, &p.Text, &p.MediaID, &p.Link, &poll, &p.SubscriberOnly, &p.AuthorID,
		tcol(&p.CreatedAt), tcol(&p.EditedAt), &p.Views)
	if err == nil && poll != "" {
		p.Poll = new(channel.Poll)
		err = json.Unmarshal([]byte(poll), p.Poll)
	}
	return p, err
}

func encodePoll(p *channel.Poll) (string, error) {
	if p == nil {
		return "", nil
	}
	b, err := json.Marshal(p)
	return string(b), err
}

// CreatePost sequences and inserts p.
func (db *DB) CreatePost(ctx context.Context, p *channel.Post) error {
	poll, err := encodePoll(p.Poll)
	if err != nil {
		return wrap("create post", err)
	}
	err = db.tx(ctx, func(tx pgx.Tx) error {
		var seq int64
		if err := tx.QueryRow(ctx, `UPDATE channels SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq`,
			p.ChannelID).Scan(&seq); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO channel_posts (`+postCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			p.ChannelID, seq, p.Kind, p.Text, p.MediaID, p.Link, poll, p.SubscriberOnly, p.AuthorID,
			ts(p.CreatedAt), ts(p.EditedAt), p.Views)
		if err != nil {
			return err
		}
		p.Seq = seq
		return nil
	})
	return wrap("create post", err)
}

// GetPost returns the post, or ErrNotFound.
func (db *DB) GetPost(ctx context.Context, channelID, seq int64) (channel.Post, error) {
	p, err := scanPost(db.pool.QueryRow(ctx, `SELECT `+postCols+` FROM channel_posts WHERE channel_id = $1 AND seq = $2`, channelID, seq))
	return p, wrap("get post", err)
}

// UpdatePost writes Text, Link, MediaID and EditedAt.
func (db *DB) UpdatePost(ctx context.Context, p channel.Post) error {
	res, err := db.pool.Exec(ctx, `UPDATE channel_posts SET text = $1, link = $2, media_id = $3, edited_at = $4
		WHERE channel_id = $5 AND seq = $6`, p.Text, p.Link, p.MediaID, ts(p.EditedAt), p.ChannelID, p.Seq)
	if err == nil {
		err = mustAffect(res, nil)
	}
	return wrap("update post", err)
}

func deletePostRows(ctx context.Context, tx pgx.Tx, channelID, seq int64) error {
	for _, table := range []string{"channel_reactions", "channel_votes", "channel_views"} {
		if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE channel_id = $1 AND seq = $2`, channelID, seq); err != nil {
			return err
		}
	}
	return nil
}

// DeletePost deletes the post and what hangs on it.
func (db *DB) DeletePost(ctx context.Context, channelID, seq int64) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM channel_posts WHERE channel_id = $1 AND seq = $2`, channelID, seq)
		if err != nil {
			return err
		}
		if err := mustAffect(res, nil); err != nil {
			return err
		}
		return deletePostRows(ctx, tx, channelID, seq)
	})
	return wrap("delete post", err)
}

// Posts returns a page of the timeline, newest first.
func (db *DB) Posts(ctx context.Context, channelID, before int64, limit int, withSubscriberOnly bool) ([]channel.Post, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := db.pool.Query(ctx, `SELECT `+postCols+` FROM channel_posts
		WHERE channel_id = $1 AND seq < $2 AND ($3 OR NOT subscriber_only) ORDER BY seq DESC LIMIT $4`,
		channelID, before, withSubscriberOnly, limit)
	if err != nil {
		return nil, wrap("posts", err)
	}
	defer rows.Close()
	var out []channel.Post
	for rows.Next() {
		p, err := scanPost(rows)
		if err != nil {
			return nil, wrap("posts", err)
		}
		out = append(out, p)
	}
	return out, wrap("posts", rows.Err())
}

// PurgePosts deletes up to limit posts created before t.
func (db *DB) PurgePosts(ctx context.Context, before time.Time, limit int) (int, error) {
	n := 0
	err := db.tx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT channel_id, seq FROM channel_posts WHERE created_at < $1 LIMIT $2`,
			before, limit)
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
			if _, err := tx.Exec(ctx, `DELETE FROM channel_posts WHERE channel_id = $1 AND seq = $2`, k.c, k.s); err != nil {
				return err
			}
			if err := deletePostRows(ctx, tx, k.c, k.s); err != nil {
				return err
			}
		}
		n = len(keys)
		return nil
	})
	return n, wrap("purge posts", err)
}

func (db *DB) postExists(ctx context.Context, tx pgx.Tx, channelID, seq int64) error {
	var one int
	return tx.QueryRow(ctx, `SELECT 1 FROM channel_posts WHERE channel_id = $1 AND seq = $2`, channelID, seq).Scan(&one)
}

// SetReaction sets or removes accountID's reaction.
func (db *DB) SetReaction(ctx context.Context, channelID, seq, accountID int64, emoji string) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := db.postExists(ctx, tx, channelID, seq); err != nil {
			return err
		}
		if emoji == "" {
			_, err := tx.Exec(ctx, `DELETE FROM channel_reactions WHERE channel_id = $1 AND seq = $2 AND account_id = $3`, channelID, seq, accountID)
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO channel_reactions (channel_id, seq, account_id, emoji) VALUES ($1, $2, $3, $4)
			ON CONFLICT (channel_id, seq, account_id) DO UPDATE SET emoji = excluded.emoji`, channelID, seq, accountID, emoji)
		return err
	})
	return wrap("set reaction", err)
}

// SetVotes replaces accountID's votes.
func (db *DB) SetVotes(ctx context.Context, channelID, seq, accountID int64, options []int) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := db.postExists(ctx, tx, channelID, seq); err != nil {
			return err
		}
		// Serialise one account's vote changes on a post, so that two
		// concurrent changes cannot leave the union of both.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, int32(seq), int32(accountID)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM channel_votes WHERE channel_id = $1 AND seq = $2 AND account_id = $3`, channelID, seq, accountID); err != nil {
			return err
		}
		for _, o := range options {
			if _, err := tx.Exec(ctx, `INSERT INTO channel_votes (channel_id, seq, account_id, choice) VALUES ($1, $2, $3, $4)
				ON CONFLICT DO NOTHING`, channelID, seq, accountID, o); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("set votes", err)
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
func (db *DB) PostStats(ctx context.Context, channelID int64, seqs []int64) (map[int64]channel.PostStats, error) {
	out := map[int64]channel.PostStats{}
	if len(seqs) == 0 {
		return out, nil
	}
	in := seqList(seqs)
	rows, err := db.pool.Query(ctx, `SELECT seq, emoji, COUNT(*) FROM channel_reactions
		WHERE channel_id = $1 AND seq IN (`+in+`) GROUP BY seq, emoji`, channelID)
	if err != nil {
		return nil, wrap("post stats", err)
	}
	for rows.Next() {
		var seq, n int64
		var emoji string
		if err := rows.Scan(&seq, &emoji, &n); err != nil {
			rows.Close()
			return nil, wrap("post stats", err)
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
		return nil, wrap("post stats", err)
	}
	rows, err = db.pool.Query(ctx, `SELECT seq, choice, COUNT(*) FROM channel_votes
		WHERE channel_id = $1 AND seq IN (`+in+`) GROUP BY seq, choice ORDER BY seq, choice`, channelID)
	if err != nil {
		return nil, wrap("post stats", err)
	}
	for rows.Next() {
		var seq, n int64
		var opt int
		if err := rows.Scan(&seq, &opt, &n); err != nil {
			rows.Close()
			return nil, wrap("post stats", err)
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
		return nil, wrap("post stats", err)
	}
	rows, err = db.pool.Query(ctx, `SELECT seq, COUNT(DISTINCT account_id) FROM channel_votes
		WHERE channel_id = $1 AND seq IN (`+in+`) GROUP BY seq`, channelID)
	if err != nil {
		return nil, wrap("post stats", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq, n int64
		if err := rows.Scan(&seq, &n); err != nil {
			return nil, wrap("post stats", err)
		}
		st := out[seq]
		st.Voters = n
		out[seq] = st
	}
	return out, wrap("post stats", rows.Err())
}

// PostMine returns accountID's reactions and votes.
func (db *DB) PostMine(ctx context.Context, channelID, accountID int64, seqs []int64) (map[int64]channel.PostMine, error) {
	out := map[int64]channel.PostMine{}
	if len(seqs) == 0 {
		return out, nil
	}
	in := seqList(seqs)
	rows, err := db.pool.Query(ctx, `SELECT seq, emoji, -1 FROM channel_reactions WHERE channel_id = $1 AND account_id = $2 AND seq IN (`+in+`)
		UNION ALL SELECT seq, '', choice FROM channel_votes WHERE channel_id = $1 AND account_id = $2 AND seq IN (`+in+`)
		ORDER BY 1, 3`, channelID, accountID)
	if err != nil {
		return nil, wrap("post mine", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var emoji string
		var opt int
		if err := rows.Scan(&seq, &emoji, &opt); err != nil {
			return nil, wrap("post mine", err)
		}
		m := out[seq]
		if opt < 0 {
			m.Reaction = emoji
		} else {
			m.Votes = append(m.Votes, opt)
		}
		out[seq] = m
	}
	return out, wrap("post mine", rows.Err())
}

// AddView counts a viewer once per post.
func (db *DB) AddView(ctx context.Context, channelID, seq int64, viewer []byte) (bool, error) {
	added := false
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := db.postExists(ctx, tx, channelID, seq); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `INSERT INTO channel_views (channel_id, seq, viewer) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			channelID, seq, viewer)
		if err != nil {
			return err
		}
		if res.RowsAffected() == 0 {
			return nil
		}
		added = true
		_, err = tx.Exec(ctx, `UPDATE channel_posts SET views = views + 1 WHERE channel_id = $1 AND seq = $2`, channelID, seq)
		return err
	})
	return added, wrap("add view", err)
}

// likePattern escapes s for LIKE ... ESCAPE '\' and wraps it in %.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// Directory returns listed, unsuspended channels matching q.
func (db *DB) Directory(ctx context.Context, q channel.DirectoryQuery) ([]channel.Channel, error) {
	where := []string{"listed", "suspended_at IS NULL"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	sel := `SELECT ` + channelCols + ` FROM channels`
	order := "followers DESC, id"
	switch q.Sort {
	case channel.SortNew:
		order = "created_at DESC, id DESC"
	case channel.SortGrowth:
		sel = `SELECT ` + channelCols + ` FROM (SELECT c.*, COALESCE((SELECT SUM(follows) FROM channel_days d
			WHERE d.channel_id = c.id AND d.day >= ` + arg(q.Since) + `), 0) AS growth FROM channels c) sub`
		order = "growth DESC, followers DESC, id"
	}
	if q.Category != "" {
		where = append(where, "category = "+arg(q.Category))
	}
	if q.Country != "" {
		where = append(where, "country = "+arg(q.Country))
	}
	if q.Language != "" {
		where = append(where, "language = "+arg(q.Language))
	}
	if q.Search != "" {
		p := arg(likePattern(q.Search))
		where = append(where, `(lower(name) LIKE `+p+` ESCAPE '\' OR handle LIKE `+p+` ESCAPE '\')`)
	}
	q2 := sel + ` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + order + ` LIMIT ` + arg(q.Limit) + ` OFFSET ` + arg(q.Offset)
	cs, err := db.queryChannels(ctx, q2, args...)
	return cs, wrap("directory", err)
}

// ChannelDays returns daily aggregates.
func (db *DB) ChannelDays(ctx context.Context, channelID, from, to int64) ([]channel.ChannelDay, error) {
	rows, err := db.pool.Query(ctx, `SELECT day, follows, unfollows, followers FROM channel_days
		WHERE channel_id = $1 AND day >= $2 AND day <= $3 ORDER BY day`, channelID, from, to)
	if err != nil {
		return nil, wrap("channel days", err)
	}
	defer rows.Close()
	var out []channel.ChannelDay
	for rows.Next() {
		d := channel.ChannelDay{ChannelID: channelID}
		if err := rows.Scan(&d.Day, &d.Follows, &d.Unfollows, &d.Followers); err != nil {
			return nil, wrap("channel days", err)
		}
		out = append(out, d)
	}
	return out, wrap("channel days", rows.Err())
}

// AddChannelReport stores a report once per reporter.
func (db *DB) AddChannelReport(ctx context.Context, r *channel.ChannelReport) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO channel_reports (channel_id, post_seq, reporter_id, reason, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, r.ChannelID, r.PostSeq, r.ReporterID, r.Reason, ts(r.CreatedAt))
		if err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT id FROM channel_reports WHERE channel_id = $1 AND post_seq = $2 AND reporter_id = $3`,
			r.ChannelID, r.PostSeq, r.ReporterID).Scan(&r.ID)
	})
	return wrap("add channel report", err)
}

// ChannelReports returns the newest reports.
func (db *DB) ChannelReports(ctx context.Context, limit int) ([]channel.ChannelReport, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, channel_id, post_seq, reporter_id, reason, created_at FROM channel_reports
		ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, wrap("channel reports", err)
	}
	defer rows.Close()
	var out []channel.ChannelReport
	for rows.Next() {
		var r channel.ChannelReport
		if err := rows.Scan(&r.ID, &r.ChannelID, &r.PostSeq, &r.ReporterID, &r.Reason, tcol(&r.CreatedAt)); err != nil {
			return nil, wrap("channel reports", err)
		}
		out = append(out, r)
	}
	return out, wrap("channel reports", rows.Err())
}

// SeedFollowers creates n accounts (phones +1999 followed by a 10-digit
// counter from first) that follow the channel, in one statement each, for
// benchmarks: it bypasses the Service and writes no daily aggregates.
func (db *DB) SeedFollowers(ctx context.Context, channelID int64, first, n int) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		now := time.Now()
		if _, err := tx.Exec(ctx, `INSERT INTO accounts (phone, created_at)
			SELECT '+1999' || lpad(i::text, 10, '0'), $3 FROM generate_series($1::bigint, $2::bigint) i`,
			first, first+n-1, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO channel_follows (channel_id, account_id, followed_at)
			SELECT $3, a.id, $4 FROM generate_series($1::bigint, $2::bigint) i JOIN accounts a ON a.phone = '+1999' || lpad(i::text, 10, '0')`,
			first, first+n-1, channelID, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE channels SET followers = followers + $1 WHERE id = $2`, n, channelID)
		return err
	})
	return wrap("seed followers", err)
}

// SeedDevices links one device to each of n accounts made by
// SeedFollowers (phones numbered from first), with the given token hashes,
// for benchmarks.
func (db *DB) SeedDevices(ctx context.Context, first, n int, tokenHashes [][]byte) error {
	if len(tokenHashes) != n {
		return fmt.Errorf("seed devices: %d hashes, want %d", len(tokenHashes), n)
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO devices (account_id, name, token_hash, created_at)
		SELECT a.id, 'bench', h.hash, now() FROM unnest($3::bytea[]) WITH ORDINALITY AS h(hash, i)
		JOIN accounts a ON a.phone = '+1999' || lpad(($1::bigint + h.i - 1)::text, 10, '0')
		WHERE h.i <= $2`, first, n, tokenHashes)
	return wrap("seed devices", err)
}
