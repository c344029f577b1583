package integrations

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// JiraComponentAnnotation narrows Roadie's Jira card to one component of the entity's project;
// JiraComponentsAnnotation is Axis's, a comma-separated list of components of jira.com/project-key.
const (
	JiraComponentAnnotation  = "jira/component"
	JiraComponentsAnnotation = "jira.com/components"
)

// Jira: jira/project-key (Roadie's plugin) and jira.com/project-key (Axis's) name a Jira project by
// its key, on Jira Cloud or Jira Data Center.
var Jira = define(&Integration{
	Name: "jira", Title: "Jira", Object: "project",
	Keys:  []string{"jira/project-key", "jira.com/project-key", JiraComponentAnnotation, JiraComponentsAnnotation},
	Lists: map[string]string{JiraComponentsAnnotation: ","},
	Parse: parseJira,
	Settings: []Setting{
		{Env: "JIRA_URL", Flag: "jira-url", Doc: "the site's address (https://acme.atlassian.net, or a Data Center server)"},
		{Env: "JIRA_EMAIL", Flag: "jira-email", Doc: "Jira Cloud: the account's email, with an API token in JIRA_TOKEN; unset for Data Center"},
		{Env: "JIRA_TOKEN", Secret: true, Doc: "Jira Cloud: an API token; Data Center: a personal access token"},
	},
	Connect: connectJira,
	Request: "Jira Cloud `GET {url}/rest/api/3/project/{key}` with Basic email:token, Data Center `GET {url}/rest/api/2/project/{key}` " +
		"with `Authorization: Bearer`; 200 is found (under another key: the project was renamed), 404 missing",
	Token: "Jira Cloud: an API token (id.atlassian.com → Security) of an account with Browse Projects on the projects, " +
		"with its email in `JIRA_EMAIL`; Data Center: a personal access token of such a user",
	Fix:           "a project whose key changed (Jira still answers its old key) gets its new key",
	MissingCaveat: "or the token's account cannot browse it (Jira answers 404 to both)",
	ExistsDoc: "The Jira plugins show \"No project could be found with key …\" for a key the site does not know, and Roadie's " +
		"card shows nothing for a `jira/component` its project does not have (the project's components are listed once per " +
		"project, `GET …/project/{key}/components`). Jira answers " +
		"404 both for a project that does not exist and for one the token's account may not browse, so the message says " +
		"both; give the account Browse Projects on every project the catalog names. A project whose key changed is " +
		"still found under its old key, and the finding gives the new one.",
	FormatDoc: "A Jira project key is letters, digits and `_`, starting with a letter (Jira's default rule is uppercase " +
		"letters; an administrator may allow more). A space, a URL or an issue key (`PAY-123`) is never a project.",
	Good:          exampleEntity("jira/project-key", "PAY"),
	BadMissing:    exampleEntity("jira/project-key", "PYA"),
	BadFormat:     exampleEntity("jira/project-key", "PAY-123"),
	BadUnverified: exampleEntity("jira/project-key", "FLAKY"),
})

var (
	jiraKey      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	jiraIssueKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*-[0-9]+$`)
)

func parseJira(key, value string, annotation func(string) string) (Value, string) {
	v := strings.TrimSpace(value)
	if key == JiraComponentAnnotation || key == JiraComponentsAnnotation {
		projectKey := "jira/project-key"
		if key == JiraComponentsAnnotation {
			projectKey = "jira.com/project-key"
		}
		project := strings.TrimSpace(annotation(projectKey))
		switch {
		case v == "":
			return Value{}, fmt.Sprintf("%s is empty; set it to a component of the project or remove it", key)
		case project == "":
			return Value{}, fmt.Sprintf("%s needs %s: the component is looked for in that project", key, projectKey)
		case !jiraKey.MatchString(project):
			return Value{}, "" // jira/project-key's own finding says what is wrong; nothing to look up
		}
		return Value{Key: "component:" + strings.ToUpper(project) + "/" + strings.ToLower(v), Name: v, ID: strings.ToUpper(project),
			Object: "component", Where: fmt.Sprintf(" in project %q", strings.ToUpper(project))}, ""
	}
	switch {
	case v == "":
		return Value{}, fmt.Sprintf("%s is empty; set it to the Jira project's key or remove it", key)
	case jiraIssueKey.MatchString(v):
		return Value{}, fmt.Sprintf("%s %q is an issue key; set it to the project's key %q", key, value, strings.SplitN(v, "-", 2)[0])
	case !jiraKey.MatchString(v):
		return Value{}, fmt.Sprintf("%s %q is not a Jira project key (letters, digits and _, starting with a letter)", key, value)
	case v != value:
		return Value{}, fmt.Sprintf("%s %q has spaces around the key; set it to %q", key, value, v)
	}
	return Value{Key: strings.ToUpper(v), Name: v}, ""
}

type jira struct {
	api   *api
	cloud bool

	mu         sync.Mutex
	components map[string]*componentList
}

// componentList is a project's components, listed once per run however many entities name one.
type componentList struct {
	done  chan struct{}
	names map[string]bool // lowercased; nil when the project was not found
	res   Result          // set when the list could not be read
}

func connectJira(s Settings) (Service, error) {
	token, email := s.Get("JIRA_TOKEN"), s.Get("JIRA_EMAIL")
	switch {
	case token == "":
		return nil, &NotConfigured{Missing: "JIRA_TOKEN"}
	case s.Get("JIRA_URL") == "":
		return nil, &NotConfigured{Missing: "JIRA_URL"}
	}
	auth := func(h http.Header) { h.Set("Authorization", "Bearer "+token) }
	if email != "" {
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(email+":"+token))
		auth = func(h http.Header) { h.Set("Authorization", basic) }
	}
	a, err := newAPI("Jira", "JIRA_URL", s.Get("JIRA_URL"), auth)
	if err != nil {
		return nil, err
	}
	return &jira{api: a, cloud: email != "", components: map[string]*componentList{}}, nil
}

func (j *jira) version() string {
	if j.cloud {
		return "3"
	}
	return "2"
}

func (j *jira) Lookup(ctx context.Context, v Value) Result {
	if v.Object == "component" {
		return j.component(ctx, v)
	}
	ans, err := j.api.get(ctx, "/rest/api/"+j.version()+"/project/"+url.PathEscape(v.Key), nil)
	if err == nil {
		switch ans.status {
		case http.StatusOK:
			var p struct{ Key string }
			if !ans.decode(&p) || p.Key == "" {
				return Result{Verdict: Unverified, Reason: "Jira's answer was not a project"}
			}
			if !strings.EqualFold(p.Key, v.Key) {
				return Result{Verdict: Moved, Current: p.Key}
			}
			return Result{Verdict: Found}
		case http.StatusNotFound:
			return Result{Verdict: Missing}
		}
	}
	return j.api.unverified(ctx, ans, err, "JIRA_TOKEN")
}

// component looks a component up in its project's list. A project that is not found has no
// component finding: jira-project-exists reports the project.
func (j *jira) component(ctx context.Context, v Value) Result {
	j.mu.Lock()
	l, ok := j.components[v.ID]
	if !ok {
		l = &componentList{done: make(chan struct{})}
		j.components[v.ID] = l
	}
	j.mu.Unlock()
	if !ok {
		l.names, l.res = j.listComponents(ctx, v.ID)
		close(l.done)
	} else {
		select {
		case <-l.done:
		case <-ctx.Done():
			return Result{Verdict: Unverified, Reason: "interrupted"}
		}
	}
	switch {
	case l.res.Verdict == Unverified:
		return l.res
	case l.names == nil || l.names[strings.ToLower(v.Name)]:
		return Result{Verdict: Found}
	}
	return Result{Verdict: Missing}
}

func (j *jira) listComponents(ctx context.Context, project string) (map[string]bool, Result) {
	ans, err := j.api.get(ctx, "/rest/api/"+j.version()+"/project/"+url.PathEscape(project)+"/components", nil)
	if err == nil {
		switch ans.status {
		case http.StatusOK:
			var list []struct{ Name string }
			if !ans.decode(&list) {
				return nil, Result{Verdict: Unverified, Reason: "Jira's answer was not a list of components"}
			}
			names := map[string]bool{}
			for _, c := range list {
				names[strings.ToLower(c.Name)] = true
			}
			return names, Result{}
		case http.StatusNotFound:
			return nil, Result{}
		}
	}
	return nil, j.api.unverified(ctx, ans, err, "JIRA_TOKEN")
}
