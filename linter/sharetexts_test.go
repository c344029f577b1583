package linter

import "testing"

// TestShareTexts: the questions of a file keep their line texts, repeated lines included, in one
// allocation between them.
func TestShareTexts(t *testing.T) {
	texts := []string{"  owner: team-a", "  providesApis: [a, b]", "  providesApis: [a, b]", "", "  system: s"}
	fresh := func() []question {
		qs := make([]question, len(texts))
		for i, s := range texts {
			qs[i].at.text = string([]byte(s)) // each its own allocation, as source.line makes them
		}
		return qs
	}
	qs := fresh()
	shareTexts(qs)
	for i, q := range qs {
		if q.at.text != texts[i] {
			t.Errorf("question %d: text %q, want %q", i, q.at.text, texts[i])
		}
	}
	if allocs := testing.AllocsPerRun(20, func() { shareTexts(fresh()) }) - testing.AllocsPerRun(20, func() { fresh() }); allocs != 1 {
		t.Errorf("shareTexts allocated %v times, want 1", allocs)
	}
	one := []question{{at: place{text: "x"}}}
	shareTexts(one)
	if one[0].at.text != "x" {
		t.Errorf("a single question's text is %q", one[0].at.text)
	}
}
