package auth

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"gomicro/app/errs"
	"gomicro/app/module"
)

// guestSuffix ends every guest's name. Usernames are made of
// [A-Za-z0-9_.-], so no account can ever be called like a guest: a guest
// never passes for a user, in a chat or in its history, even one who signs
// up under the same name later.
const guestSuffix = " (guest)"

// guestNames are what a guest may log in as: up to 24 letters (any
// script, so mqant's Chinese demo names work), digits, marks, _ . -. With
// the suffix that fills the 32 characters a message's author column holds.
var guestNames = regexp.MustCompile(`^[\p{L}\p{M}\p{N}_.-]{1,24}$`)

// The Login handler's errors, shown to MQTT clients as Error.
var (
	ErrLoginBody  = errs.E(errs.Invalid, `Login takes {"userName","passWord"} or {"token"}`)
	ErrGuestName  = errs.E(errs.Invalid, "a guest name is 1-24 letters, digits, _ . or -")
	ErrOtherLogin = errs.E(errs.Conflict, "this connection is logged in as another user; reconnect to change user")
)

// GuestName returns the name a guest who logged in as name goes by.
func GuestName(name string) string { return name + guestSuffix }

// IsGuest reports whether name is a guest's (see GuestName): such a user
// has no account.
func IsGuest(name string) bool { return strings.HasSuffix(name, guestSuffix) }

// guestFor returns the guest name of a login as userName, or ErrGuestName.
func guestFor(userName string) (string, error) {
	if !guestNames.MatchString(userName) {
		return "", ErrGuestName
	}
	return GuestName(userName), nil
}

// loginBody is what mqant's clients send to Login/HD_Login.
type loginBody struct {
	UserName string `json:"userName"`
	PassWord string `json:"passWord"`
	Token    string `json:"token"`
}

// handlers are the module's MQTT gateway handlers.
func (s *Service) handlers() []module.Handler {
	return []module.Handler{{Module: "Login", Name: "HD_Login", Public: true, Serve: s.login}}
}

// login binds the connection to the account that a token or a username
// and password name. With mqtt.guest_login, a userName that names no
// account logs in as a guest instead (GuestName); a name that is an
// account's still needs its password, under the same sign-in limit as
// REST.
func (s *Service) login(ctx context.Context, sess module.Session, body []byte) (any, error) {
	var in loginBody
	if err := json.Unmarshal(body, &in); err != nil || (in.Token == "" && in.UserName == "") ||
		len(in.UserName) > 64 || len(in.PassWord) > 1024 { // the REST sign-in's bounds
		return nil, ErrLoginBody
	}
	name, err := s.loginName(ctx, in)
	if err != nil {
		return nil, err
	}
	if !sess.Login(name) { // checked and bound in one step: two logins may race
		return nil, ErrOtherLogin
	}
	return "login success " + name, nil
}

func (s *Service) loginName(ctx context.Context, in loginBody) (string, error) {
	if in.Token != "" {
		p, err := s.Authenticate(ctx, "Bearer "+in.Token)
		return p.User.Username, err
	}
	if s.cfg.Current().MQTT.GuestLogin {
		_, err := s.UserByName(ctx, in.UserName)
		switch {
		case errors.Is(err, ErrUserNotFound):
			return guestFor(in.UserName)
		case err != nil:
			return "", err
		}
	}
	u, err := s.CheckPassword(ctx, in.UserName, in.PassWord)
	return u.Username, err
}
