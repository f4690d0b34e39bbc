package chat

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"gomicro/app/auth"
)

// Controller is the REST face of chats: typed huma operations, every one
// behind the bearer check of app/auth.
type Controller struct {
	svc *Service
}

// ChatBody is a chat as the API shows it.
type ChatBody struct {
	URI       string    `json:"uri" doc:"Random, URL-safe; whoever has it may join"`
	Owner     string    `json:"owner" doc:"Username of the creator"`
	Members   []string  `json:"members" nullable:"false" doc:"Usernames, owner first (while a member), then in joining order"`
	CreatedAt time.Time `json:"created_at"`
}

type chatOutput struct{ Body ChatBody }

type uriInput struct {
	URI string `path:"uri" doc:"The chat's uri"`
}

type listChatsInput struct {
	Offset int `query:"offset" minimum:"0" maximum:"10000" default:"0"`
	Limit  int `query:"limit" minimum:"1" maximum:"100" default:"50"`
}

type chatsOutput struct {
	Body struct {
		Chats   []ChatBody `json:"chats" nullable:"false"`
		HasMore bool       `json:"has_more"`
	}
}

type membersOutput struct {
	Body struct {
		Members []string `json:"members" nullable:"false"`
	}
}

type postInput struct {
	URI  string `path:"uri"`
	Body struct {
		Message  string  `json:"message" minLength:"1" maxLength:"16000" doc:"1 to chat.max_message_chars characters (default 2000); starting with / asks the bot"`
		ClientID *string `json:"client_id,omitempty" minLength:"1" maxLength:"64" doc:"Your id for this message: posting it again returns the original (200) instead of a copy"`
	}
}

type postOutput struct {
	Status int
	Body   Message
}

type historyInput struct {
	URI    string `path:"uri"`
	After  int64  `query:"after" minimum:"0" doc:"Only ids above this, oldest first"`
	Before int64  `query:"before" minimum:"0" doc:"Only ids below this"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"50"`

	fromEnd bool
}

// Resolve tells "after=0" (from the start) from no after (the newest page).
func (in *historyInput) Resolve(ctx huma.Context) []error {
	in.fromEnd = ctx.Query("after") == ""
	return nil
}

type historyOutput struct {
	Body struct {
		Messages []Message `json:"messages" nullable:"false" doc:"Ascending id order"`
		HasMore  bool      `json:"has_more" doc:"With after: newer messages follow; otherwise: older ones precede"`
	}
}

type ticketOutput struct {
	Body struct {
		Ticket    string    `json:"ticket" doc:"Pass as ?ticket= to the socket; one use"`
		ExpiresAt time.Time `json:"expires_at"`
	}
}

// Register adds the chat operations to api, a group from auth.Protect.
func (c *Controller) Register(api huma.API) {
	tags := []string{"chat"}
	const chats = "/api/v1/chats"
	huma.Register(api, huma.Operation{
		OperationID: "chat-create", Method: http.MethodPost, Path: chats, Tags: tags,
		Summary: "Create a chat", DefaultStatus: http.StatusCreated,
	}, c.create)
	huma.Register(api, huma.Operation{
		OperationID: "chat-list", Method: http.MethodGet, Path: chats, Tags: tags,
		Summary: "The caller's chats", Description: "Most recently joined first.",
		Errors: []int{http.StatusUnprocessableEntity},
	}, c.list)
	huma.Register(api, huma.Operation{
		OperationID: "chat-get", Method: http.MethodGet, Path: chats + "/{uri}", Tags: tags,
		Summary: "A chat and its members", Description: "Anyone signed in who has the uri may look before joining.",
		Errors: []int{http.StatusNotFound},
	}, c.get)
	huma.Register(api, huma.Operation{
		OperationID: "chat-join", Method: http.MethodPost, Path: chats + "/{uri}/members", Tags: tags,
		Summary: "Join the chat", Description: "Idempotent.", Errors: []int{http.StatusNotFound},
	}, c.join)
	huma.Register(api, huma.Operation{
		OperationID: "chat-leave", Method: http.MethodDelete, Path: chats + "/{uri}/members/me", Tags: tags,
		Summary: "Leave the chat", Description: "Closes the caller's sockets on it.", DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusNotFound},
	}, c.leave)
	huma.Register(api, huma.Operation{
		OperationID: "chat-post", Method: http.MethodPost, Path: chats + "/{uri}/messages", Tags: tags,
		Summary: "Post a message", DefaultStatus: http.StatusCreated,
		Description: "201 with the new message; 200 with the original when this client_id was used before by the caller in this chat.",
		Errors:      []int{http.StatusForbidden, http.StatusNotFound, http.StatusUnprocessableEntity},
	}, c.post)
	huma.Register(api, huma.Operation{
		OperationID: "chat-history", Method: http.MethodGet, Path: chats + "/{uri}/messages", Tags: tags,
		Summary: "Page through messages",
		Description: "`after`: the oldest messages above it; `before` alone: the newest below it; neither: the newest. " +
			"Always ascending ids.",
		Errors: []int{http.StatusForbidden, http.StatusNotFound, http.StatusUnprocessableEntity},
	}, c.history)
	huma.Register(api, huma.Operation{
		OperationID: "chat-ticket", Method: http.MethodPost, Path: chats + "/{uri}/tickets", Tags: tags,
		Summary: "A one-use socket ticket", DefaultStatus: http.StatusCreated,
		Description: "For browsers, which cannot set Authorization on a WebSocket: `GET /api/v1/chats/{uri}/ws?ticket=…` within chat.ticket_ttl (60 s).",
		Errors:      []int{http.StatusForbidden, http.StatusNotFound},
	}, c.ticket)
}

func caller(ctx context.Context) auth.User {
	p, _ := auth.FromContext(ctx)
	return p.User
}

func toBody(c Chat) ChatBody {
	return ChatBody{URI: c.URI, Owner: c.Owner, Members: c.Members, CreatedAt: c.CreatedAt}
}

func (c *Controller) create(ctx context.Context, _ *struct{}) (*chatOutput, error) {
	ch, err := c.svc.CreateChat(ctx, caller(ctx))
	if err != nil {
		return nil, err
	}
	return &chatOutput{Body: toBody(ch)}, nil
}

func (c *Controller) list(ctx context.Context, in *listChatsInput) (*chatsOutput, error) {
	list, more, err := c.svc.Chats(ctx, caller(ctx), in.Offset, in.Limit)
	if err != nil {
		return nil, err
	}
	out := &chatsOutput{}
	out.Body.Chats = make([]ChatBody, len(list))
	for i, ch := range list {
		out.Body.Chats[i] = toBody(ch)
	}
	out.Body.HasMore = more
	return out, nil
}

func (c *Controller) get(ctx context.Context, in *uriInput) (*chatOutput, error) {
	ch, err := c.svc.Chat(ctx, in.URI)
	if err != nil {
		return nil, err
	}
	return &chatOutput{Body: toBody(ch)}, nil
}

func (c *Controller) join(ctx context.Context, in *uriInput) (*membersOutput, error) {
	members, err := c.svc.Join(ctx, caller(ctx), in.URI)
	if err != nil {
		return nil, err
	}
	out := &membersOutput{}
	out.Body.Members = members
	return out, nil
}

func (c *Controller) leave(ctx context.Context, in *uriInput) (*struct{}, error) {
	return nil, c.svc.Leave(ctx, caller(ctx), in.URI)
}

func (c *Controller) post(ctx context.Context, in *postInput) (*postOutput, error) {
	m, created, err := c.svc.Post(ctx, caller(ctx), in.URI, in.Body.Message, in.Body.ClientID)
	if err != nil {
		return nil, err
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	return &postOutput{Status: status, Body: m}, nil
}

func (c *Controller) history(ctx context.Context, in *historyInput) (*historyOutput, error) {
	msgs, more, err := c.svc.History(ctx, caller(ctx), in.URI, page{After: in.After, Before: in.Before, Limit: in.Limit, FromEnd: in.fromEnd})
	if err != nil {
		return nil, err
	}
	out := &historyOutput{}
	out.Body.Messages = msgs
	if out.Body.Messages == nil {
		out.Body.Messages = []Message{}
	}
	out.Body.HasMore = more
	return out, nil
}

func (c *Controller) ticket(ctx context.Context, in *uriInput) (*ticketOutput, error) {
	t, exp, err := c.svc.Ticket(ctx, caller(ctx), in.URI)
	if err != nil {
		return nil, err
	}
	out := &ticketOutput{}
	out.Body.Ticket, out.Body.ExpiresAt = t, exp
	return out, nil
}
