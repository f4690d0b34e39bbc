package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"gomicro/app/db"
)

// Store reads and writes chats, members, messages and tickets with GORM.
type Store struct {
	db *gorm.DB
}

// NewStore returns a Store on gdb, whose schema Migrations has set up.
func NewStore(gdb *gorm.DB) *Store { return &Store{db: gdb} }

// errDuplicate rolls back a post whose client_id was seen before.
var errDuplicate = errors.New("duplicate client_id")

// createChat inserts c with its owner as the first member (a public chat
// a guest created has no owner: OwnerID 0). A clash of the uri is
// reported as a unique violation for the caller to retry or re-read.
func (s *Store) createChat(ctx context.Context, c *chatRow) error {
	return db.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		if err := tx.Create(c).Error; err != nil || c.OwnerID == 0 {
			return err
		}
		return tx.Create(&memberRow{ChatID: c.ID, UserID: c.OwnerID, JoinedAt: c.CreatedAt}).Error
	})
}

// chatByURI returns the chat at uri or an error wrapping ErrChatNotFound.
func (s *Store) chatByURI(ctx context.Context, uri string) (chatRow, error) {
	var c chatRow
	err := db.Retry(ctx, func(ctx context.Context) error {
		return s.db.WithContext(ctx).Where("uri = ?", uri).Take(&c).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return chatRow{}, ErrChatNotFound
	}
	if err != nil {
		return chatRow{}, fmt.Errorf("load chat: %w", err)
	}
	return c, nil
}

// lastMessageID returns the id of the chat's newest message (0: none).
func (s *Store) lastMessageID(ctx context.Context, chatID int64) (int64, error) {
	var ids []int64
	err := db.Retry(ctx, func(ctx context.Context) error {
		return s.db.WithContext(ctx).Model(&chatRow{}).Where("id = ?", chatID).Pluck("last_message_id", &ids).Error
	})
	if err != nil || len(ids) == 0 {
		return 0, errors.Join(ErrChatNotFound, err)
	}
	return ids[0], nil
}

type memberName struct {
	ChatID   int64
	UserID   int64
	Username string
}

// roster is a chat's owner and members by username, owner first while
// they are still a member, then in the order members joined.
type roster struct {
	Owner   string
	Members []string
}

// members returns the roster of each chat.
func (s *Store) members(ctx context.Context, chats []chatRow) (map[int64]roster, error) {
	ids := make([]int64, len(chats))
	owners := make([]int64, len(chats))
	owner := map[int64]int64{}
	for i, c := range chats {
		ids[i], owners[i], owner[c.ID] = c.ID, c.OwnerID, c.OwnerID
	}
	var rows []memberName
	var names []struct {
		ID       int64
		Username string
	}
	err := db.Retry(ctx, func(ctx context.Context) error {
		rows, names = rows[:0], names[:0]
		err := s.db.WithContext(ctx).Table("chat_members m").
			Select("m.chat_id, m.user_id, u.username").
			Joins("JOIN auth_users u ON u.id = m.user_id").
			Where("m.chat_id IN ?", ids).Order("m.chat_id, m.joined_at, m.user_id").Scan(&rows).Error
		if err != nil {
			return err
		}
		return s.db.WithContext(ctx).Table("auth_users").Select("id, username").Where("id IN ?", owners).Scan(&names).Error
	})
	if err != nil {
		return nil, fmt.Errorf("load members: %w", err)
	}
	nameOf := map[int64]string{}
	for _, n := range names {
		nameOf[n.ID] = n.Username
	}
	out := map[int64]roster{}
	for _, c := range chats {
		out[c.ID] = roster{Owner: nameOf[c.OwnerID], Members: []string{}}
	}
	for _, r := range rows {
		ro := out[r.ChatID]
		if r.UserID == owner[r.ChatID] {
			ro.Members = slices.Insert(ro.Members, 0, r.Username)
		} else {
			ro.Members = append(ro.Members, r.Username)
		}
		out[r.ChatID] = ro
	}
	return out, nil
}

// isMember reports whether the user belongs to the chat.
func (s *Store) isMember(ctx context.Context, chatID, userID int64) (bool, error) {
	var n int64
	err := db.Retry(ctx, func(ctx context.Context) error {
		return s.db.WithContext(ctx).Model(&memberRow{}).Where("chat_id = ? AND user_id = ?", chatID, userID).Count(&n).Error
	})
	if err != nil {
		return false, fmt.Errorf("check membership: %w", err)
	}
	return n > 0, nil
}

// join adds the user to the chat and reports whether they were new.
func (s *Store) join(ctx context.Context, chatID, userID int64, now time.Time) (bool, error) {
	err := db.Retry(ctx, func(ctx context.Context) error {
		return s.db.WithContext(ctx).Create(&memberRow{ChatID: chatID, UserID: userID, JoinedAt: now}).Error
	})
	if db.IsUniqueViolation(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("join chat: %w", err)
	}
	return true, nil
}

// leave removes the user from the chat and reports whether they were in.
func (s *Store) leave(ctx context.Context, chatID, userID int64) (bool, error) {
	var n int64
	err := db.Retry(ctx, func(ctx context.Context) error {
		res := s.db.WithContext(ctx).Where("chat_id = ? AND user_id = ?", chatID, userID).Delete(&memberRow{})
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return false, fmt.Errorf("leave chat: %w", err)
	}
	return n > 0, nil
}

// chatsOf returns up to limit of the user's chats after skipping offset,
// most recently joined first, and whether there are more.
func (s *Store) chatsOf(ctx context.Context, userID int64, offset, limit int) ([]chatRow, bool, error) {
	var rows []chatRow
	err := db.Retry(ctx, func(ctx context.Context) error {
		rows = rows[:0]
		return s.db.WithContext(ctx).Table("chat_chats c").Select("c.*").
			Joins("JOIN chat_members m ON m.chat_id = c.id AND m.user_id = ?", userID).
			Order("m.joined_at DESC, c.id DESC").Offset(offset).Limit(limit + 1).Scan(&rows).Error
	})
	if err != nil {
		return nil, false, fmt.Errorf("list chats: %w", err)
	}
	more := len(rows) > limit
	return rows[:min(len(rows), limit)], more, nil
}

// post stores a message as the chat's next id. When clientID was already
// used by this user in this chat, it returns that message and created
// false instead. The chat row is locked for the transaction, so ids within
// a chat are handed out in commit order.
func (s *Store) post(ctx context.Context, m messageRow) (messageRow, bool, error) {
	out := m
	err := db.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		res := tx.Model(&chatRow{}).Where("id = ?", m.ChatID).UpdateColumn("last_message_id", gorm.Expr("last_message_id + 1"))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrChatNotFound
		}
		if m.ClientID != nil {
			var prev messageRow
			err := tx.Where("chat_id = ? AND user_id = ? AND client_id = ?", m.ChatID, m.UserID, *m.ClientID).Take(&prev).Error
			if err == nil {
				out = prev
				return errDuplicate
			}
			if !errors.Is(err, gorm.ErrRecordNotFound) {
				return err
			}
		}
		var ids []int64
		if err := tx.Model(&chatRow{}).Where("id = ?", m.ChatID).Pluck("last_message_id", &ids).Error; err != nil {
			return err
		}
		out = m
		out.ID = ids[0]
		return tx.Create(&out).Error
	})
	switch {
	case errors.Is(err, errDuplicate):
		return out, false, nil
	case errors.Is(err, ErrChatNotFound):
		return messageRow{}, false, ErrChatNotFound
	case err != nil:
		return messageRow{}, false, fmt.Errorf("post message: %w", err)
	}
	return out, true, nil
}

// page selects messages of a chat that Viewer may see (chat messages, and
// private ones Viewer wrote or is the target of): ids in (After, Before)
// (Before 0: no upper bound), the oldest of them first, or with FromEnd the
// newest ones (still returned in ascending order), at most Limit.
type page struct {
	After, Before int64
	Limit         int
	FromEnd       bool
	Viewer        string
}

// messages returns the page p of the chat and whether more messages lie
// beyond it in its direction.
func (s *Store) messages(ctx context.Context, chatID int64, p page) ([]messageRow, bool, error) {
	var rows []messageRow
	err := db.Retry(ctx, func(ctx context.Context) error {
		rows = rows[:0]
		q := s.db.WithContext(ctx).Where("chat_id = ? AND id > ?", chatID, p.After).
			Where("target IS NULL OR username = ? OR target = ?", p.Viewer, p.Viewer)
		if p.Before > 0 {
			q = q.Where("id < ?", p.Before)
		}
		order := "id"
		if p.FromEnd {
			order = "id DESC"
		}
		return q.Order(order).Limit(p.Limit + 1).Find(&rows).Error
	})
	if err != nil {
		return nil, false, fmt.Errorf("load messages: %w", err)
	}
	more := len(rows) > p.Limit
	rows = rows[:min(len(rows), p.Limit)]
	if p.FromEnd {
		slices.Reverse(rows)
	}
	return rows, more, nil
}

// counts returns how many public messages each user posted in the chat:
// a private one's count would tell the others it was sent.
func (s *Store) counts(ctx context.Context, chatID int64) (map[string]int64, error) {
	var rows []struct {
		Username string
		N        int64
	}
	err := db.Retry(ctx, func(ctx context.Context) error {
		rows = rows[:0]
		return s.db.WithContext(ctx).Model(&messageRow{}).Select("username, COUNT(*) AS n").
			Where("chat_id = ? AND target IS NULL", chatID).Group("username").Scan(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("count messages: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Username] = r.N
	}
	return out, nil
}

// createTicket stores a ticket and drops expired ones.
func (s *Store) createTicket(ctx context.Context, t ticketRow, now time.Time) error {
	err := db.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		if err := tx.Where("expires_at <= ?", now).Delete(&ticketRow{}).Error; err != nil {
			return err
		}
		return tx.Create(&t).Error
	})
	if err != nil {
		return fmt.Errorf("create ticket: %w", err)
	}
	return nil
}

// consumeTicket removes the live ticket with hash and returns it; of two
// racing uses only one gets it. Other outcomes wrap ErrBadTicket.
func (s *Store) consumeTicket(ctx context.Context, hash string, now time.Time) (ticketRow, error) {
	var t ticketRow
	var n int64
	err := db.Retry(ctx, func(ctx context.Context) error {
		if err := s.db.WithContext(ctx).Where("hash = ? AND expires_at > ?", hash, now).Take(&t).Error; err != nil {
			return err
		}
		res := s.db.WithContext(ctx).Where("hash = ?", hash).Delete(&ticketRow{})
		n = res.RowsAffected
		return res.Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && n == 0) {
		return ticketRow{}, ErrBadTicket
	}
	if err != nil {
		return ticketRow{}, fmt.Errorf("use ticket: %w", err)
	}
	return t, nil
}

// memberByName returns the username of the chat's member called name (in
// any case), or false when no member is.
func (s *Store) memberByName(ctx context.Context, chatID int64, name string) (string, bool, error) {
	var names []string
	err := db.Retry(ctx, func(ctx context.Context) error {
		names = names[:0]
		return s.db.WithContext(ctx).Table("chat_members m").Select("u.username").
			Joins("JOIN auth_users u ON u.id = m.user_id").
			Where("m.chat_id = ? AND u.username_key = ?", chatID, strings.ToLower(name)).Limit(1).Pluck("u.username", &names).Error
	})
	if err != nil {
		return "", false, fmt.Errorf("find member: %w", err)
	}
	if len(names) == 0 {
		return "", false, nil
	}
	return names[0], true, nil
}
