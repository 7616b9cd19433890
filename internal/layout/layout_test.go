// Package layout holds tests of the repository's structure: which package
// may import which library, and where internode methods are declared, as
// docs/design.md describes.
package layout

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// owners maps a library to the only top-level package allowed to import it,
// so each dependency stays behind one package's interface.
var owners = map[string]string{
	"github.com/cockroachdb/pebble":   "engine",
	"github.com/hashicorp/memberlist": "membership",
	"github.com/tidwall/redcon":       "resp",
}

func TestLibrariesStayBehindTheirPackage(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		top := strings.Split(filepath.ToSlash(rel), "/")[0]
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for lib, owner := range owners {
				if (p == lib || strings.HasPrefix(p, lib+"/")) && top != owner {
					t.Errorf("%s imports %s; only package %s may", rel, p, owner)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked only %d Go files; is the walk rooted at the repository?", checked)
	}
}

// Internode method numbers are declared in one place, internal/rpc's table:
// no other package's code declares a Method type or constants of one (tests
// of the transport, which carries any number, may).
func TestMethodsDeclaredInRPCOnly(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	isMethod := func(e ast.Expr) bool {
		switch e := e.(type) {
		case *ast.Ident:
			return e.Name == "Method"
		case *ast.SelectorExpr:
			return e.Sel.Name == "Method"
		}
		return false
	}
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.HasPrefix(rel, "internal/rpc/") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		checked++
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, spec := range g.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if s.Name.Name == "Method" && !s.Assign.IsValid() {
						t.Errorf("%s declares a Method type; internode methods are internal/rpc's", rel)
					}
				case *ast.ValueSpec:
					if g.Tok == token.CONST && s.Type != nil && isMethod(s.Type) {
						t.Errorf("%s declares method constant %s; declare it in internal/rpc's table", rel, s.Names[0].Name)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked only %d Go files", checked)
	}
}

// Package quorum decides quorum reads and writes as state machines with no
// goroutines, I/O or clock (docs/design.md, 2.7): its code imports only
// package version and those parts of the standard library that cannot wait,
// sleep or reach outside the process.
func TestQuorumIsALeaf(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "quorum")
	allowed := map[string]bool{"fmt": true, "slices": true, "github.com/dynago/dynago/version": true}
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); !allowed[p] {
				t.Errorf("quorum/%s imports %s; the package stays a leaf without I/O, goroutines or clock", filepath.Base(path), p)
			}
		}
	}
	if checked < 3 {
		t.Fatalf("checked only %d files of package quorum", checked)
	}
}

// The replica side and hint delivery have one job each and sit below the
// coordinator (docs/design.md, section 1): packages replica and handoff
// never depend on package coordinator, directly or through another package
// of the module, and their tests do not import it either. The coordinator
// imports replica for its messages; node wires the three.
func TestReplicaAndHandoffDoNotImportCoordinator(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	const module = "github.com/dynago/dynago/"
	imports := map[string][]string{} // package -> what its code (tests left out) imports of the module
	testImports := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			dep, ok := strings.CutPrefix(p, module)
			if !ok {
				continue
			}
			if strings.HasSuffix(path, "_test.go") {
				testImports[pkg] = append(testImports[pkg], dep)
			} else {
				imports[pkg] = append(imports[pkg], dep)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(imports["coordinator"]) == 0 || len(imports["replica"]) == 0 || len(imports["handoff"]) == 0 {
		t.Fatalf("found no imports of coordinator, replica or handoff; is the walk rooted at the repository?")
	}
	for _, pkg := range []string{"replica", "handoff"} {
		// The path by which pkg reaches each package it depends on.
		via := map[string][]string{pkg: {pkg}}
		queue := []string{pkg}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			for _, dep := range imports[p] {
				if _, seen := via[dep]; !seen {
					via[dep] = append(append([]string(nil), via[p]...), dep)
					queue = append(queue, dep)
				}
			}
		}
		if path, ok := via["coordinator"]; ok {
			t.Errorf("package %s depends on coordinator: %s", pkg, strings.Join(path, " -> "))
		}
		for _, dep := range testImports[pkg] {
			if dep == "coordinator" {
				t.Errorf("the tests of package %s import coordinator", pkg)
			}
		}
	}
}
