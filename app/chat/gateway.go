package chat

import (
	"context"
	"encoding/json"
	"errors"

	"gomicro/app/module"
)

// handlers are the chat's MQTT gateway handlers, mqant's chat demo:
// Chat/HD_JoinChat, Chat/HD_Say and Chat/HD_Leave. They need a login
// (Login/HD_Login of app/auth).
func (r *rooms) handlers() []module.Handler {
	return []module.Handler{
		{Module: "Chat", Name: "HD_JoinChat", Serve: r.joinChat},
		{Module: "Chat", Name: "HD_Say", Serve: r.say},
		{Module: "Chat", Name: "HD_Leave", Serve: r.leaveChat},
	}
}

type roomBody struct {
	RoomName string `json:"roomName"`
}

type sayBody struct {
	RoomName string `json:"roomName"`
	Content  string `json:"content"`
	Target   string `json:"target"`
	// from is ignored: the sender is the logged-in user.
}

// joinChat joins {"roomName"} (see Service.EnterRoom) and answers who is
// present, the caller included: {"users":[…]}.
func (r *rooms) joinChat(ctx context.Context, sess module.Session, body []byte) (any, error) {
	var in roomBody
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, ErrRoomBody
	}
	rs, err := r.session(ctx, sess)
	if err != nil {
		return nil, err
	}
	row, err := r.svc.EnterRoom(ctx, rs.user, in.RoomName)
	if err != nil {
		return nil, err
	}
	if err := r.join(ctx, rs, row); err != nil {
		return nil, err
	}
	return map[string][]string{"users": r.svc.presence.users(ctx, row.URI)}, nil
}

// say posts {"roomName","content","target"} (see Service.Say) and answers
// {"say":"say success"}.
func (r *rooms) say(ctx context.Context, sess module.Session, body []byte) (any, error) {
	var in sayBody
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, ErrSayBody
	}
	rs, row, err := r.room(ctx, sess, in.RoomName)
	if err != nil {
		return nil, err
	}
	if !rs.joined(row.URI) {
		return nil, ErrNotInRoom
	}
	if _, err := r.svc.Say(ctx, rs.user, row, in.Content, in.Target); err != nil {
		return nil, err
	}
	return map[string]string{"say": "say success"}, nil
}

// leaveChat takes the session out of {"roomName"}, as closing a socket
// does (an account stays a member), and answers {"leave":"leave success"}.
func (r *rooms) leaveChat(ctx context.Context, sess module.Session, body []byte) (any, error) {
	var in roomBody
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, ErrRoomBody
	}
	rs, row, err := r.room(ctx, sess, in.RoomName)
	if err != nil {
		return nil, err
	}
	if err := r.leave(ctx, rs, row.URI); err != nil {
		return nil, err
	}
	return map[string]string{"leave": "leave success"}, nil
}

// room returns the caller's session state and the chat called name, or
// ErrNoRoom.
func (r *rooms) room(ctx context.Context, sess module.Session, name string) (*roomSession, chatRow, error) {
	rs, err := r.session(ctx, sess)
	if err != nil {
		return nil, chatRow{}, err
	}
	row, err := r.svc.store.chatByURI(ctx, name)
	if errors.Is(err, ErrChatNotFound) {
		return nil, chatRow{}, ErrNoRoom
	}
	return rs, row, err
}
