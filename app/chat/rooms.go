package chat

import (
	"context"
	"errors"
	"regexp"
	"slices"

	"gomicro/app/auth"
	"gomicro/app/db"
)

// roomNames are the names MQTT clients may join a chat by. Random uris
// (22 characters of base64url) are among them, so an invitation works
// there too; a name that is no chat yet becomes a public chat.
var roomNames = regexp.MustCompile(`^[A-Za-z0-9_-]{3,64}$`)

// isGuest reports whether user is an MQTT guest: a name, no account.
func isGuest(user auth.User) bool { return user.ID == 0 }

// EnterRoom returns the chat whose uri is name for user to take part in
// over MQTT, first creating a public chat of that name when there is none
// (as mqant's rooms come into being when joined). A user with an account
// becomes a member, as by POST /api/v1/chats/{uri}/members; a guest joins
// only for the session, and only public chats. Errors: ErrRoomName,
// ErrGuestRoom, or a store failure.
func (s *Service) EnterRoom(ctx context.Context, user auth.User, name string) (chatRow, error) {
	if !roomNames.MatchString(name) {
		return chatRow{}, ErrRoomName
	}
	row, err := s.store.chatByURI(ctx, name)
	if errors.Is(err, ErrChatNotFound) {
		row, err = s.createRoom(ctx, user, name)
	}
	if err != nil {
		return chatRow{}, err
	}
	if isGuest(user) {
		if !row.Public {
			return chatRow{}, ErrGuestRoom
		}
		return row, nil
	}
	_, err = s.store.join(ctx, row.ID, user.ID, s.now().UTC())
	return row, err
}

// createRoom creates the public chat name, owned by its creator (nobody,
// for a guest). When another call created it meanwhile, that one is used.
func (s *Service) createRoom(ctx context.Context, user auth.User, name string) (chatRow, error) {
	row := &chatRow{URI: name, OwnerID: user.ID, Public: true, CreatedAt: s.now().UTC()}
	err := s.store.createChat(ctx, row)
	if db.IsUniqueViolation(err) {
		return s.store.chatByURI(ctx, name)
	}
	if err != nil {
		return chatRow{}, err
	}
	return *row, nil
}

// Say stores and pushes user's text in the chat row, as HD_Say does.
// target "*" (or empty) makes it a chat message, for everyone and the bot;
// any other target a private message to that member (a user who belongs
// to the chat, or a guest present in it), seen only by the two of them.
// The caller has checked that user's session joined the chat; an account
// must also still be a member. Errors: ErrNotInRoom, ErrTargetAbsent,
// ErrMessageSize, or a store failure.
func (s *Service) Say(ctx context.Context, user auth.User, row chatRow, text, target string) (Message, error) {
	if !isGuest(user) {
		ok, err := s.store.isMember(ctx, row.ID, user.ID)
		if err != nil {
			return Message{}, err
		}
		if !ok {
			return Message{}, ErrNotInRoom
		}
	}
	var to *string
	if target != "" && target != "*" {
		name, err := s.target(ctx, row, target)
		if err != nil {
			return Message{}, err
		}
		to = &name
	}
	m, _, err := s.post(ctx, row, user, text, nil, to)
	if err == nil && to == nil {
		s.command(ctx, row, user, text)
	}
	return m, err
}

// target resolves the target of a private message to its username.
func (s *Service) target(ctx context.Context, row chatRow, name string) (string, error) {
	if auth.IsGuest(name) {
		if slices.Contains(s.presence.users(ctx, row.URI), name) {
			return name, nil
		}
		return "", ErrTargetAbsent
	}
	username, ok, err := s.store.memberByName(ctx, row.ID, name)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrTargetAbsent
	}
	return username, nil
}
