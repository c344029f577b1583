package webhook

import "testing"

// FuzzJobFor feeds arbitrary signed-looking payloads to the event decoding: it must never panic, and
// a job it returns must be well-formed.
func FuzzJobFor(f *testing.F) {
	f.Add("push", pushPayload("refs/heads/main", baseSHA, headSHA))
	f.Add("pull_request", prPayload("opened"))
	f.Add("check_run", []byte(`{"action":"rerequested","check_run":{"head_sha":"x","app":{"id":1}},"repository":{"name":"r","owner":{"login":"o"}},"installation":{"id":9}}`))
	f.Add("check_suite", []byte(`{"action":"requested","check_suite":null,"repository":{"name":"r","owner":{"login":"o"}},"installation":{"id":9}}`))
	f.Fuzz(func(t *testing.T, event string, payload []byte) {
		j, why, err := jobFor(event, payload, 1)
		if j != nil && (err != nil || why != "" || !isSHA(j.HeadSHA) || j.Key == "" || j.Installation == 0) {
			t.Fatalf("bad job %+v (%q, %v)", j, why, err)
		}
	})
}

// FuzzGitLabJobFor: arbitrary GitLab webhook bodies (past the secret token) never panic, and a job
// they give is well-formed.
func FuzzGitLabJobFor(f *testing.F) {
	f.Add("Push Hook", glPushPayload(glBase, glHead))
	f.Add("Merge Request Hook", glMRPayload("update", 7, glHead, glBase))
	f.Add("Merge Request Hook", []byte(`{"project":{"id":1},"object_attributes":{"iid":-1,"action":"open","last_commit":null}}`))
	f.Add("Push Hook", []byte(`{"after":"`+zeroSHA+`","project":{"id":1,"path_with_namespace":"/"}}`))
	f.Fuzz(func(t *testing.T, event string, payload []byte) {
		j, why, err := gitlabJobFor(event, payload)
		if j != nil && (err != nil || why != "" || !isSHA(j.HeadSHA) || j.ProjectID <= 0 || j.Forge != ForgeGitLab ||
			j.Kind == KindMergeRequest && j.MergeRequest <= 0 || j.Owner == "" || j.Repo == "") {
			t.Fatalf("bad job %+v (%q, %v)", j, why, err)
		}
	})
}
