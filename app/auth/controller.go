package auth

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// Controller is the HTTP face of accounts and tokens.
type Controller struct {
	svc *Service
}

// NewController returns a Controller over svc.
func NewController(svc *Service) *Controller { return &Controller{svc: svc} }

// UserBody is an account as the API shows it.
type UserBody struct {
	ID       int64  `json:"id" example:"1"`
	Username string `json:"username" example:"alice"`
}

// TokenBody is an issued bearer token.
type TokenBody struct {
	Token     string    `json:"token" doc:"Send as Authorization: Bearer <token>"`
	ExpiresAt time.Time `json:"expires_at" doc:"End of validity (UTC)"`
}

type signUpInput struct {
	Body struct {
		Username string `json:"username" minLength:"3" maxLength:"32" pattern:"^[A-Za-z0-9_.-]+$" doc:"3-32 of A-Z a-z 0-9 _ . -; unique regardless of case"`
		Email    string `json:"email,omitempty" maxLength:"254" format:"email"`
		Password string `json:"password" minLength:"8" maxLength:"1024" doc:"At least 8 characters"`
	}
}

type signInInput struct {
	Body struct {
		Username string `json:"username" minLength:"1" maxLength:"64"`
		Password string `json:"password" minLength:"1" maxLength:"1024"`
	}
}

type userOutput struct{ Body UserBody }

type tokenOutput struct{ Body TokenBody }

// Register adds the public operations to api and the ones for signed-in
// callers to protected (a group from Protect).
func (c *Controller) Register(api, protected huma.API) {
	tags := []string{"auth"}
	huma.Register(api, huma.Operation{
		OperationID: "auth-sign-up", Method: http.MethodPost, Path: "/api/v1/auth/users", Tags: tags,
		Summary: "Create an account", DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, c.signUp)
	huma.Register(api, huma.Operation{
		OperationID: "auth-sign-in", Method: http.MethodPost, Path: "/api/v1/auth/tokens", Tags: tags,
		Summary: "Sign in: issue a bearer token", DefaultStatus: http.StatusCreated,
		Description: "A wrong username and a wrong password get the same 401. Past `auth.max_login_failures` failures for one username within `auth.login_window`, 429 until the window ends.",
		Errors:      []int{http.StatusUnauthorized, http.StatusUnprocessableEntity, http.StatusTooManyRequests},
	}, c.signIn)
	huma.Register(protected, huma.Operation{
		OperationID: "auth-sign-out", Method: http.MethodDelete, Path: "/api/v1/auth/tokens/current", Tags: tags,
		Summary: "Revoke the token of this request", DefaultStatus: http.StatusNoContent,
	}, c.signOut)
	huma.Register(protected, huma.Operation{
		OperationID: "auth-me", Method: http.MethodGet, Path: "/api/v1/auth/users/me", Tags: tags,
		Summary: "The signed-in account",
	}, c.me)
}

func (c *Controller) signUp(ctx context.Context, in *signUpInput) (*userOutput, error) {
	u, err := c.svc.SignUp(ctx, NewUser{Username: in.Body.Username, Email: in.Body.Email, Password: in.Body.Password})
	if err != nil {
		return nil, err
	}
	return &userOutput{Body: UserBody{ID: u.ID, Username: u.Username}}, nil
}

func (c *Controller) signIn(ctx context.Context, in *signInInput) (*tokenOutput, error) {
	t, err := c.svc.SignIn(ctx, in.Body.Username, in.Body.Password)
	if err != nil {
		return nil, err
	}
	return &tokenOutput{Body: TokenBody{Token: t.Token, ExpiresAt: t.ExpiresAt.UTC()}}, nil
}

func (c *Controller) signOut(ctx context.Context, _ *struct{}) (*struct{}, error) {
	p, _ := FromContext(ctx)
	return nil, c.svc.Revoke(ctx, p.TokenID)
}

func (c *Controller) me(ctx context.Context, _ *struct{}) (*userOutput, error) {
	p, _ := FromContext(ctx)
	return &userOutput{Body: UserBody{ID: p.User.ID, Username: p.User.Username}}, nil
}
