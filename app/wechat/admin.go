package wechat

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"gomicro/app/config"
)

// accountsPath is the admin collection; one account lives at
// accountsPath/{app}, its rules at accountsPath/{app}/rules.
const accountsPath = "/api/v1/wechat/accounts"

// admin is the HTTP face of account and rule management, an ops module
// behind server.admin_token.
type admin struct {
	s *Service
}

func newAdmin(s *Service) *admin { return &admin{s: s} }

// AccountBody is an account as the admin API shows it; the four secrets
// read "******" when set.
type AccountBody struct {
	Name              string     `json:"name" doc:"The {app} path segment of the callback URL"`
	Source            string     `json:"source" enum:"config,database" doc:"config accounts are read-only here"`
	AppID             string     `json:"app_id"`
	AppSecret         string     `json:"app_secret" doc:"Masked"`
	Token             string     `json:"token" doc:"Masked"`
	EncodingAESKey    string     `json:"encoding_aes_key" doc:"Masked"`
	OldEncodingAESKey string     `json:"old_encoding_aes_key" doc:"Masked"`
	Welcome           string     `json:"welcome"`
	Units             []string   `json:"units" nullable:"false"`
	ForwardURL        string     `json:"forward_url"`
	CreatedAt         *time.Time `json:"created_at,omitempty"`
	UpdatedAt         *time.Time `json:"updated_at,omitempty"`
}

type accountFields struct {
	AppID             *string   `json:"app_id,omitempty" minLength:"1" maxLength:"64" doc:"The account's AppID"`
	AppSecret         *string   `json:"app_secret,omitempty" maxLength:"128" doc:"AppSecret; needed for the customer-service API"`
	Token             *string   `json:"token,omitempty" minLength:"1" maxLength:"128" doc:"The server config token"`
	EncodingAESKey    *string   `json:"encoding_aes_key,omitempty" pattern:"^([A-Za-z0-9+/]{43})?$" doc:"43 characters; needed for safe and compatible mode"`
	OldEncodingAESKey *string   `json:"old_encoding_aes_key,omitempty" pattern:"^([A-Za-z0-9+/]{43})?$" doc:"The previous key, tried when the current one fails"`
	Welcome           *string   `json:"welcome,omitempty" maxLength:"2048" doc:"Answer to a subscribe event"`
	Units             *[]string `json:"units,omitempty" maxItems:"16" doc:"Optional units enabled, e.g. forward"`
	ForwardURL        *string   `json:"forward_url,omitempty" maxLength:"1024" pattern:"^(https?://.+)?$" doc:"Where the forward unit POSTs"`
}

func (f accountFields) input() AccountInput {
	return AccountInput{
		AppID: f.AppID, AppSecret: f.AppSecret, Token: f.Token, EncodingAESKey: f.EncodingAESKey,
		OldEncodingAESKey: f.OldEncodingAESKey, Welcome: f.Welcome, Units: f.Units, ForwardURL: f.ForwardURL,
	}
}

type createAccountInput struct {
	Body struct {
		Name              string   `json:"name" pattern:"^[A-Za-z0-9_-]{1,32}$" doc:"The {app} path segment"`
		AppID             string   `json:"app_id" minLength:"1" maxLength:"64" doc:"The account's AppID"`
		AppSecret         string   `json:"app_secret,omitempty" maxLength:"128" doc:"AppSecret; needed for the customer-service API"`
		Token             string   `json:"token" minLength:"1" maxLength:"128" doc:"The server config token"`
		EncodingAESKey    string   `json:"encoding_aes_key,omitempty" pattern:"^([A-Za-z0-9+/]{43})?$" doc:"43 characters; needed for safe and compatible mode"`
		OldEncodingAESKey string   `json:"old_encoding_aes_key,omitempty" pattern:"^([A-Za-z0-9+/]{43})?$" doc:"The previous key, tried when the current one fails"`
		Welcome           string   `json:"welcome,omitempty" maxLength:"2048" doc:"Answer to a subscribe event"`
		Units             []string `json:"units,omitempty" maxItems:"16" doc:"Optional units enabled, e.g. forward"`
		ForwardURL        string   `json:"forward_url,omitempty" maxLength:"1024" pattern:"^(https?://.+)?$" doc:"Where the forward unit POSTs"`
	}
}

type patchAccountInput struct {
	App  string `path:"app" maxLength:"32"`
	Body accountFields
}

type appInput struct {
	App string `path:"app" maxLength:"32"`
}

type accountOutput struct {
	Body AccountBody
}

type createdAccountOutput struct {
	Location string `header:"Location"`
	Body     AccountBody
}

type accountListOutput struct {
	Body struct {
		Accounts []AccountBody `json:"accounts" nullable:"false"`
	}
}

func (a *admin) register(api huma.API) {
	tags := []string{"wechat"}
	errors := []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity}
	huma.Register(api, huma.Operation{
		OperationID: "wechat-create-account", Method: http.MethodPost, Path: accountsPath, Tags: tags,
		Summary: "Bind an Official Account", DefaultStatus: http.StatusCreated, Errors: errors,
		Description: "Its callback is `/wechat/{name}`; the next message uses it, on every instance.",
	}, a.createAccount)
	huma.Register(api, huma.Operation{
		OperationID: "wechat-list-accounts", Method: http.MethodGet, Path: accountsPath, Tags: tags,
		Summary: "List accounts", Description: "Accounts of config and of the database, by name; secrets masked.",
	}, a.listAccounts)
	huma.Register(api, huma.Operation{
		OperationID: "wechat-get-account", Method: http.MethodGet, Path: accountsPath + "/{app}", Tags: tags,
		Summary: "Get an account", Errors: errors,
	}, a.getAccount)
	huma.Register(api, huma.Operation{
		OperationID: "wechat-update-account", Method: http.MethodPatch, Path: accountsPath + "/{app}", Tags: tags,
		Summary: "Change an account", Description: "Fields left out keep their value; config accounts answer 409.", Errors: errors,
	}, a.updateAccount)
	huma.Register(api, huma.Operation{
		OperationID: "wechat-delete-account", Method: http.MethodDelete, Path: accountsPath + "/{app}", Tags: tags,
		Summary: "Unbind an account and its rules", DefaultStatus: http.StatusNoContent, Errors: errors,
	}, a.deleteAccount)
	a.registerRules(api, tags, errors)
}

func (a *admin) createAccount(ctx context.Context, in *createAccountInput) (*createdAccountOutput, error) {
	b := in.Body
	v, err := a.s.createAccount(ctx, AccountInput{
		Name: &b.Name, AppID: &b.AppID, AppSecret: &b.AppSecret, Token: &b.Token, EncodingAESKey: &b.EncodingAESKey,
		OldEncodingAESKey: &b.OldEncodingAESKey, Welcome: &b.Welcome, Units: &b.Units, ForwardURL: &b.ForwardURL,
	})
	if err != nil {
		return nil, err
	}
	return &createdAccountOutput{Location: accountsPath + "/" + v.row.Name, Body: v.body()}, nil
}

func (a *admin) listAccounts(ctx context.Context, _ *struct{}) (*accountListOutput, error) {
	views, err := a.s.listAccounts(ctx)
	if err != nil {
		return nil, err
	}
	out := &accountListOutput{}
	out.Body.Accounts = make([]AccountBody, len(views))
	for i, v := range views {
		out.Body.Accounts[i] = v.body()
	}
	return out, nil
}

func (a *admin) getAccount(ctx context.Context, in *appInput) (*accountOutput, error) {
	v, err := a.s.getAccount(ctx, in.App)
	if err != nil {
		return nil, err
	}
	return &accountOutput{Body: v.body()}, nil
}

func (a *admin) updateAccount(ctx context.Context, in *patchAccountInput) (*accountOutput, error) {
	v, err := a.s.updateAccount(ctx, in.App, in.Body.input())
	if err != nil {
		return nil, err
	}
	return &accountOutput{Body: v.body()}, nil
}

func (a *admin) deleteAccount(ctx context.Context, in *appInput) (*struct{}, error) {
	return nil, a.s.deleteAccount(ctx, in.App)
}

func (v accountView) body() AccountBody {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return config.Mask
	}
	b := AccountBody{
		Name: v.row.Name, Source: v.source, AppID: v.row.AppID,
		AppSecret: mask(v.row.AppSecret), Token: mask(v.row.Token),
		EncodingAESKey: mask(v.row.EncodingAESKey), OldEncodingAESKey: mask(v.row.OldEncodingAESKey),
		Welcome: v.row.Welcome, Units: v.row.units(), ForwardURL: v.row.ForwardURL,
	}
	if b.Units == nil {
		b.Units = []string{}
	}
	if v.source == SourceDatabase {
		c, u := v.row.CreatedAt.UTC(), v.row.UpdatedAt.UTC()
		b.CreatedAt, b.UpdatedAt = &c, &u
	}
	return b
}

func rulePath(app string, id int64) string {
	return accountsPath + "/" + app + "/rules/" + strconv.FormatInt(id, 10)
}
