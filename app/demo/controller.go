package demo

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// itemsPath is the collection's path; one item lives at itemsPath/{id}.
const itemsPath = "/api/v1/demo/items"

// Controller is the HTTP face of the module: typed huma operations whose
// struct tags are both the validation and the OpenAPI description.
type Controller struct {
	svc *Service
}

// NewController returns a Controller over svc.
func NewController(svc *Service) *Controller { return &Controller{svc: svc} }

// ItemBody is an item as the API shows it.
type ItemBody struct {
	ID          int64     `json:"id" example:"1" doc:"Item id"`
	Name        string    `json:"name" example:"green tea" doc:"Unique name"`
	PriceCents  int64     `json:"price_cents" example:"350" doc:"Price in cents"`
	Description string    `json:"description" example:"Loose leaf, 100 g" doc:"Free text"`
	CreatedAt   time.Time `json:"created_at" doc:"Creation time (UTC)"`
	UpdatedAt   time.Time `json:"updated_at" doc:"Last change (UTC)"`
}

// Names may not start or end with a blank: MySQL's PAD SPACE collations
// would treat "tea" and "tea " as one unique name, SQLite as two.
type createInput struct {
	Body struct {
		Name        string `json:"name" minLength:"1" maxLength:"64" pattern:"^\\S(.*\\S)?$" doc:"Unique name, without leading or trailing blanks"`
		PriceCents  int64  `json:"price_cents" minimum:"0" doc:"Price in cents"`
		Description string `json:"description,omitempty" maxLength:"1024" doc:"Free text"`
	}
}

type itemOutput struct {
	Body ItemBody
}

type createdOutput struct {
	Location string `header:"Location" doc:"Path of the new item"`
	Body     ItemBody
}

type idInput struct {
	ID int64 `path:"id" minimum:"1" doc:"Item id"`
}

type listInput struct {
	NamePrefix string `query:"name_prefix" maxLength:"64" doc:"Only items whose name starts with this (case-sensitive; % and _ are literal)"`
	Page       int    `query:"page" minimum:"1" maximum:"1000" default:"1" doc:"Page number; past 1000 use the cursor"`
	PageSize   int    `query:"page_size" minimum:"1" maximum:"100" default:"20" doc:"Items per page"`
	Cursor     string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page; instead of page"`
}

// ListBody is one page of items.
type ListBody struct {
	Items      []ItemBody `json:"items" nullable:"false"`
	Total      int64      `json:"total" doc:"Items matching the name filter, over all pages"`
	Page       int        `json:"page"`
	PageSize   int        `json:"page_size"`
	NextCursor string     `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page"`
}

type listOutput struct {
	Body ListBody
}

type patchInput struct {
	ID   int64 `path:"id" minimum:"1" doc:"Item id"`
	Body struct {
		Name        *string `json:"name,omitempty" minLength:"1" maxLength:"64" pattern:"^\\S(.*\\S)?$" doc:"Unique name, without leading or trailing blanks"`
		PriceCents  *int64  `json:"price_cents,omitempty" minimum:"0" doc:"Price in cents"`
		Description *string `json:"description,omitempty" maxLength:"1024" doc:"Free text"`
	}
}

// Register adds the item operations to api.
func (c *Controller) Register(api huma.API) {
	tags := []string{"demo"}
	huma.Register(api, huma.Operation{
		OperationID: "demo-create-item", Method: http.MethodPost, Path: itemsPath, Tags: tags,
		Summary: "Create an item", DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, c.create)
	huma.Register(api, huma.Operation{
		OperationID: "demo-list-items", Method: http.MethodGet, Path: itemsPath, Tags: tags,
		Summary: "List items", Description: "Pages by `page`/`page_size` or by `cursor`, in id order, optionally filtered by name prefix.",
		Errors: []int{http.StatusUnprocessableEntity},
	}, c.list)
	huma.Register(api, huma.Operation{
		OperationID: "demo-get-item", Method: http.MethodGet, Path: itemsPath + "/{id}", Tags: tags,
		Summary: "Get an item", Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, c.get)
	huma.Register(api, huma.Operation{
		OperationID: "demo-update-item", Method: http.MethodPatch, Path: itemsPath + "/{id}", Tags: tags,
		Summary: "Change some fields of an item", Description: "Fields left out keep their value.",
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, c.update)
	huma.Register(api, huma.Operation{
		OperationID: "demo-delete-item", Method: http.MethodDelete, Path: itemsPath + "/{id}", Tags: tags,
		Summary: "Delete an item", DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, c.delete)
}

func (c *Controller) create(ctx context.Context, in *createInput) (*createdOutput, error) {
	item, err := c.svc.Create(ctx, NewItem{Name: in.Body.Name, PriceCents: in.Body.PriceCents, Description: in.Body.Description})
	if err != nil {
		return nil, err
	}
	return &createdOutput{Location: itemsPath + "/" + strconv.FormatInt(item.ID, 10), Body: toBody(item)}, nil
}

func (c *Controller) list(ctx context.Context, in *listInput) (*listOutput, error) {
	p, err := c.svc.List(ctx, Query{Prefix: in.NamePrefix, Page: in.Page, PageSize: in.PageSize, Cursor: in.Cursor})
	if err != nil {
		return nil, err
	}
	out := &listOutput{Body: ListBody{Items: make([]ItemBody, len(p.Items)), Total: p.Total, Page: p.Page, PageSize: p.PageSize, NextCursor: p.NextCursor}}
	for i, it := range p.Items {
		out.Body.Items[i] = toBody(it)
	}
	return out, nil
}

func (c *Controller) get(ctx context.Context, in *idInput) (*itemOutput, error) {
	item, err := c.svc.Get(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &itemOutput{Body: toBody(item)}, nil
}

func (c *Controller) update(ctx context.Context, in *patchInput) (*itemOutput, error) {
	item, err := c.svc.Update(ctx, in.ID, Patch{Name: in.Body.Name, PriceCents: in.Body.PriceCents, Description: in.Body.Description})
	if err != nil {
		return nil, err
	}
	return &itemOutput{Body: toBody(item)}, nil
}

func (c *Controller) delete(ctx context.Context, in *idInput) (*struct{}, error) {
	return nil, c.svc.Delete(ctx, in.ID)
}

// toBody shows times in UTC whatever zone the driver read them in.
func toBody(it Item) ItemBody {
	return ItemBody{
		ID: it.ID, Name: it.Name, PriceCents: it.PriceCents, Description: it.Description,
		CreatedAt: it.CreatedAt.UTC(), UpdatedAt: it.UpdatedAt.UTC(),
	}
}
