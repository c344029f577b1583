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
