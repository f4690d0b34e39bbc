package wechat

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// RuleBody is a keyword rule as the admin API shows it.
type RuleBody struct {
	ID        int64      `json:"id"`
	Source    string     `json:"source" enum:"config,database"`
	Match     string     `json:"match" enum:"exact,prefix,contains,regex"`
	Pattern   string     `json:"pattern"`
	Reply     string     `json:"reply"`
	Priority  int        `json:"priority"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

type createRuleInput struct {
	App  string `path:"app" maxLength:"32"`
	Body struct {
		Match    string `json:"match" enum:"exact,prefix,contains,regex" doc:"How pattern meets the text"`
		Pattern  string `json:"pattern" minLength:"1" maxLength:"256"`
		Reply    string `json:"reply" minLength:"1" maxLength:"2048" doc:"The text answered"`
		Priority int    `json:"priority,omitempty" doc:"Higher is tried first; among equals the more exact match"`
	}
}

type patchRuleInput struct {
	App  string `path:"app" maxLength:"32"`
	ID   int64  `path:"id" minimum:"1"`
	Body struct {
		Match    *string `json:"match,omitempty" enum:"exact,prefix,contains,regex"`
		Pattern  *string `json:"pattern,omitempty" minLength:"1" maxLength:"256"`
		Reply    *string `json:"reply,omitempty" minLength:"1" maxLength:"2048"`
		Priority *int    `json:"priority,omitempty"`
	}
}

type ruleIDInput struct {
	App string `path:"app" maxLength:"32"`
	ID  int64  `path:"id" minimum:"1"`
}

type ruleOutput struct {
	Body RuleBody
}

type createdRuleOutput struct {
	Location string `header:"Location"`
	Body     RuleBody
}

type ruleListOutput struct {
	Body struct {
		Rules []RuleBody `json:"rules" nullable:"false"`
	}
}

func (a *admin) registerRules(api huma.API, tags []string, errors []int) {
	rules := accountsPath + "/{app}/rules"
	huma.Register(api, huma.Operation{
		OperationID: "wechat-create-rule", Method: http.MethodPost, Path: rules, Tags: tags,
		Summary: "Add a keyword rule", DefaultStatus: http.StatusCreated, Errors: errors,
	}, a.createRule)
	huma.Register(api, huma.Operation{
		OperationID: "wechat-list-rules", Method: http.MethodGet, Path: rules, Tags: tags,
		Summary: "List an account's keyword rules", Description: "A config account lists its keywords, numbered from 1.", Errors: errors,
	}, a.listRules)
	huma.Register(api, huma.Operation{
		OperationID: "wechat-get-rule", Method: http.MethodGet, Path: rules + "/{id}", Tags: tags,
		Summary: "Get a keyword rule", Errors: errors,
	}, a.getRule)
	huma.Register(api, huma.Operation{
		OperationID: "wechat-update-rule", Method: http.MethodPatch, Path: rules + "/{id}", Tags: tags,
		Summary: "Change a keyword rule", Errors: errors,
	}, a.updateRule)
	huma.Register(api, huma.Operation{
		OperationID: "wechat-delete-rule", Method: http.MethodDelete, Path: rules + "/{id}", Tags: tags,
		Summary: "Delete a keyword rule", DefaultStatus: http.StatusNoContent, Errors: errors,
	}, a.deleteRule)
}

func (a *admin) createRule(ctx context.Context, in *createRuleInput) (*createdRuleOutput, error) {
	b := in.Body
	v, err := a.s.createRule(ctx, in.App, RuleInput{Match: &b.Match, Pattern: &b.Pattern, Reply: &b.Reply, Priority: &b.Priority})
	if err != nil {
		return nil, err
	}
	return &createdRuleOutput{Location: rulePath(in.App, v.row.ID), Body: v.body()}, nil
}

func (a *admin) listRules(ctx context.Context, in *appInput) (*ruleListOutput, error) {
	views, err := a.s.listRules(ctx, in.App)
	if err != nil {
		return nil, err
	}
	out := &ruleListOutput{}
	out.Body.Rules = make([]RuleBody, len(views))
	for i, v := range views {
		out.Body.Rules[i] = v.body()
	}
	return out, nil
}

func (a *admin) getRule(ctx context.Context, in *ruleIDInput) (*ruleOutput, error) {
	v, err := a.s.getRule(ctx, in.App, in.ID)
	if err != nil {
		return nil, err
	}
	return &ruleOutput{Body: v.body()}, nil
}

func (a *admin) updateRule(ctx context.Context, in *patchRuleInput) (*ruleOutput, error) {
	b := in.Body
	v, err := a.s.updateRule(ctx, in.App, in.ID, RuleInput{Match: b.Match, Pattern: b.Pattern, Reply: b.Reply, Priority: b.Priority})
	if err != nil {
		return nil, err
	}
	return &ruleOutput{Body: v.body()}, nil
}

func (a *admin) deleteRule(ctx context.Context, in *ruleIDInput) (*struct{}, error) {
	return nil, a.s.deleteRule(ctx, in.App, in.ID)
}

func (v ruleView) body() RuleBody {
	b := RuleBody{ID: v.row.ID, Source: v.source, Match: v.row.MatchKind, Pattern: v.row.Pattern, Reply: v.row.Reply, Priority: v.row.Priority}
	if v.source == SourceDatabase {
		c, u := v.row.CreatedAt.UTC(), v.row.UpdatedAt.UTC()
		b.CreatedAt, b.UpdatedAt = &c, &u
	}
	return b
}
