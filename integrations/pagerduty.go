package integrations

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/catalog-lint/catalog-lint/linter"
)

// PagerDutyIntegrationKeyAnnotation holds an Events API routing key: a secret, in a public file.
const PagerDutyIntegrationKeyAnnotation = "pagerduty.com/integration-key"

// PagerDuty: pagerduty.com/service-id names a PagerDuty service by its ID.
var PagerDuty = define(&Integration{
	Name: "pagerduty", Title: "PagerDuty", Object: "service",
	Keys:  []string{"pagerduty.com/service-id"},
	Parse: parsePagerDuty,
	Settings: []Setting{
		{Env: "PAGERDUTY_URL", Flag: "pagerduty-url", Default: "https://api.pagerduty.com",
			Doc: "the REST API's address; the EU service region is https://api.eu.pagerduty.com"},
		{Env: "PAGERDUTY_TOKEN", Secret: true, Doc: "a read-only REST API key"},
	},
	Connect: connectPagerDuty,
	Request: "`GET {url}/services/{id}` with `Authorization: Token token=…` and `Accept: application/vnd.pagerduty+json;version=2`; " +
		"200 is found, 404 missing",
	Token:     "a read-only REST API key (Integrations → API Access Keys), or a user API key of a user who can see the services",
	ExistsDoc: "The PagerDuty plugin shows an error card for a service ID the account does not have.",
	FormatDoc: "A PagerDuty service ID is uppercase letters and digits, such as `PABC123`, the last part of the " +
		"service's address (`https://acme.pagerduty.com/service-directory/PABC123`). A URL pasted whole, or an " +
		"ID in lowercase, is never found.",
	Good:          exampleEntity("pagerduty.com/service-id", "PPAY001"),
	BadMissing:    exampleEntity("pagerduty.com/service-id", "PPAY404"),
	BadFormat:     exampleEntity("pagerduty.com/service-id", "https://acme.pagerduty.com/service-directory/PPAY001"),
	BadUnverified: exampleEntity("pagerduty.com/service-id", "PFLAKY1"),
	Extra:         []*linter.Rule{PagerDutyIntegrationKey},
})

var pagerDutyID = regexp.MustCompile(`^[A-Z0-9]{2,32}$`)

func parsePagerDuty(key, value string, _ func(string) string) (Value, string) {
	v := strings.TrimSpace(value)
	switch {
	case v == "":
		return Value{}, fmt.Sprintf("%s is empty; set it to the PagerDuty service's ID or remove it", key)
	case strings.Contains(v, "/"):
		last := v[strings.LastIndex(strings.TrimRight(v, "/"), "/")+1:]
		last = strings.Trim(strings.SplitN(last, "?", 2)[0], "/")
		if pagerDutyID.MatchString(last) {
			return Value{}, fmt.Sprintf("%s %q is an address; set it to the service's ID %q", key, value, last)
		}
		return Value{}, fmt.Sprintf("%s %q is not a PagerDuty service ID (uppercase letters and digits, such as PABC123)", key, value)
	case !pagerDutyID.MatchString(v):
		return Value{}, fmt.Sprintf("%s %q is not a PagerDuty service ID (uppercase letters and digits, such as PABC123)", key, value)
	case v != value:
		return Value{}, fmt.Sprintf("%s %q has spaces around the ID; set it to %q", key, value, v)
	}
	return Value{Key: v, Name: v, ID: v}, ""
}

type pagerDuty struct{ api *api }

func connectPagerDuty(s Settings) (Service, error) {
	token := s.Get("PAGERDUTY_TOKEN")
	if token == "" {
		return nil, &NotConfigured{Missing: "PAGERDUTY_TOKEN"}
	}
	a, err := newAPI("PagerDuty", "PAGERDUTY_URL", s.Get("PAGERDUTY_URL"), func(h http.Header) {
		h.Set("Authorization", "Token token="+token)
	})
	if err != nil {
		return nil, err
	}
	return &pagerDuty{api: a}, nil
}

func (p *pagerDuty) Lookup(ctx context.Context, v Value) Result {
	ans, err := p.api.get(ctx, "/services/"+url.PathEscape(v.ID), nil)
	if err == nil {
		switch ans.status {
		case http.StatusOK:
			return Result{Verdict: Found}
		case http.StatusNotFound:
			return Result{Verdict: Missing}
		}
	}
	return p.api.unverified(ctx, ans, err, "PAGERDUTY_TOKEN")
}

// PagerDutyIntegrationKey reports an Events API integration key in a catalog file.
var PagerDutyIntegrationKey = &linter.Rule{
	ID:       "pagerduty-integration-key",
	Summary:  "pagerduty.com/integration-key puts a secret in a public file; use pagerduty.com/service-id",
	Severity: linter.SeverityWarning,
	Doc: "An integration key is an Events API routing key: whoever reads the catalog file can trigger incidents " +
		"on the service. The PagerDuty plugin reads `pagerduty.com/service-id` instead (and needs only that to show " +
		"the service). Rotate the key in PagerDuty, remove the annotation and set `pagerduty.com/service-id`.",
	Bad:  exampleEntity(PagerDutyIntegrationKeyAnnotation, "a1b2c3d4e5f60718293a4b5c6d7e8f90"),
	Good: exampleEntity("pagerduty.com/service-id", "PPAY001"),
	Check: func(p *linter.Pass) {
		if k, _ := p.Entity.Annotation(PagerDutyIntegrationKeyAnnotation); k != nil {
			p.Report(k, "%s is a secret (an Events API routing key) in a public file; rotate it, and set pagerduty.com/service-id instead",
				PagerDutyIntegrationKeyAnnotation)
		}
	},
}
