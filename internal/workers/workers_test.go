package workers

import (
	"sync"
	"testing"
	"time"
)

// Every task runs exactly once, also when more arrive than the pool keeps
// workers for.
func TestEveryTaskRunsOnce(t *testing.T) {
	p := New(4, time.Minute)
	const n = 1000
	var mu sync.Mutex
	ran := make(map[int]int)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		p.Go(func() {
			defer wg.Done()
			mu.Lock()
			ran[i]++
			mu.Unlock()
		})
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		if ran[i] != 1 {
			t.Fatalf("task %d ran %d times", i, ran[i])
		}
	}
	if w := p.Workers(); w > 4 {
		t.Fatalf("%d workers alive, want at most 4", w)
	}
}

// An idle worker takes the next task instead of a new goroutine starting,
// and workers exit once idle for the pool's idle time.
func TestWorkersAreReusedAndExitWhenIdle(t *testing.T) {
	p := New(8, 50*time.Millisecond)
	done := make(chan struct{})
	p.Go(func() { done <- struct{}{} })
	<-done
	// One task at a time: a task can find the worker that ran the one
	// before still on its way back to waiting, and start a second worker,
	// but from then on one of the two is always waiting.
	for i := 0; i < 100; i++ {
		p.Go(func() { done <- struct{}{} })
		<-done
	}
	if w := p.Workers(); w > 2 {
		t.Fatalf("%d workers after 101 sequential tasks, want at most 2", w)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.Workers() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers still alive long after the idle time", p.Workers())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Close lets every idle worker go; tasks given afterwards still run.
func TestCloseStopsIdleWorkers(t *testing.T) {
	p := New(8, time.Hour)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		p.Go(wg.Done)
	}
	wg.Wait()
	p.Close()
	deadline := time.Now().Add(5 * time.Second)
	for p.Workers() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers alive after Close", p.Workers())
		}
		time.Sleep(time.Millisecond)
	}
	ran := make(chan struct{})
	p.Go(func() { close(ran) })
	<-ran
}
