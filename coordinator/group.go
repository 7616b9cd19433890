package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"

	"github.com/dynago/dynago/engine"
	"github.com/dynago/dynago/internal/rpc"
	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/partition"
	"github.com/dynago/dynago/replica"
	"github.com/dynago/dynago/version"
)

// Groups of records. A hash command writes its key's header and the records
// of the fields it names (partition.ElementKey) as one decision: they share
// the key's owners, its lock stripe and one dot, commit in one batch here,
// and each record travels to the other owners as any key's object does.

// GroupDecide is a command's logic over several records decided together.
// The states share one dot; it returns one change per state.
type GroupDecide func(states []op.State) ([]op.Change, error)

// UpdateGroup is Update for records decided together: keys[0] names the
// owners (every key must have its ring position, as a key's element keys
// do), each record is read at quorum first, and the write is acknowledged
// once every changed record has W durable copies.
func (c *Coordinator) UpdateGroup(ctx context.Context, keys [][]byte, decide GroupDecide, opt Options) ([]version.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !c.Distributed() {
		objs, wrote, err := c.updateLocalGroup(keys, decide, opt, nil, opt.Sync == nil, nil)
		if err == nil && wrote && opt.Sync == nil {
			err = c.syncLocal()
		}
		return objs, diskRefused(err)
	}
	owners, _ := c.owners(keys[0])
	if c.writeCoordinator(owners) != c.cfg.Cluster.Self() && !opt.here {
		return nil, &NotReplicaError{Owners: owners}
	}
	seen, err := c.readGroupBeforeWrite(ctx, keys, opt)
	if err != nil {
		return nil, err
	}
	_, w := c.quorums(opt)
	var writes []*writeOp
	objs, wrote, err := c.updateLocalGroup(keys, decide, opt, seen, true, func(i int, next version.Object) {
		writes = append(writes, c.sendToOthers(keys[i], next, owners, w))
	})
	switch {
	case err == nil && !wrote:
		return objs, nil
	case err == nil:
		c.eng.SyncAsync(func(err error) {
			for _, wr := range writes {
				wr.local(err == nil)
			}
		})
	case len(writes) > 0 && engine.IsDiskError(err):
		// This node's store refused what the others were sent: it
		// counts as a failed replica of every record.
		for _, wr := range writes {
			wr.local(false)
		}
	default:
		return objs, diskRefused(err)
	}
	for _, wr := range writes {
		if err := wr.await(ctx); err != nil {
			return objs, c.stats.counted(err)
		}
	}
	return objs, nil
}

// readGroupBeforeWrite is readBeforeWrite for a group: every record read at
// quorum at once. The decision depends on what it reads, so a record whose
// read fails fails the write.
func (c *Coordinator) readGroupBeforeWrite(ctx context.Context, keys [][]byte, opt Options) ([]*version.Object, error) {
	seen := make([]*version.Object, len(keys))
	for i, r := range c.ReadMany(ctx, keys, opt) {
		var nq *NoQuorumError
		switch {
		case r.Err == nil:
		case errors.As(r.Err, &nq):
			nq.Op = "write"
			return nil, r.Err
		default:
			return nil, r.Err
		}
		if r.Found {
			seen[i] = &r.Object
			if _, err := c.eng.Adopt(engine.GenerationOf(r.Object)); err != nil {
				return nil, err
			}
		}
	}
	return seen, c.catchUp()
}

// updateLocalGroup is updateLocal for a group: sending (if not nil) is
// called with each record's new object before the batch commits.
func (c *Coordinator) updateLocalGroup(keys [][]byte, decide GroupDecide, opt Options, seen []*version.Object, syncLater bool, sending func(i int, next version.Object)) ([]version.Object, bool, error) {
	update := c.eng.UpdateGroup
	if opt.Sync != nil || syncLater {
		update = c.eng.UpdateGroupDeferred
	}
	return c.updateLocalWith(func(fn engine.GroupFunc) ([]version.Object, error) { return update(keys, fn) }, decide, opt, seen, sending)
}

// updateLocalWith is updateLocalGroup's decision and bookkeeping around an
// engine update of a group (update runs the engine's GroupFunc).
func (c *Coordinator) updateLocalWith(update func(engine.GroupFunc) ([]version.Object, error), decide GroupDecide, opt Options, seen []*version.Object, sending func(i int, next version.Object)) ([]version.Object, bool, error) {
	wrote := false
	objs, err := update(func(cur []version.Object, found []bool) ([]version.Object, []bool, error) {
		gen := c.eng.Generation()
		for i := range cur {
			if seen != nil && seen[i] != nil && engine.GenerationOf(*seen[i]) == gen {
				cur[i], found[i] = version.Merge(cur[i], *seen[i]), true
			}
		}
		next, write, err := c.changeGroup(opt, cur, found, decide)
		if err != nil {
			return cur, write, err
		}
		for i := range next {
			if !write[i] {
				continue
			}
			next[i] = engine.WithGeneration(next[i], gen)
			wrote = true
			if sending != nil {
				sending(i, next[i])
			}
		}
		return next, write, nil
	})
	if wrote && opt.Sync != nil {
		opt.Sync.pending.Store(true)
	}
	return objs, wrote, err
}

// changeGroup is change for a group: one dot, after every counter of this
// node's actor that any of the records has seen.
func (c *Coordinator) changeGroup(opt Options, cur []version.Object, found []bool, decide GroupDecide) ([]version.Object, []bool, error) {
	write := make([]bool, len(cur))
	var seen version.Clock
	for _, o := range cur {
		if n := o.Clock.Get(c.cfg.Actor); n > seen.Get(c.cfg.Actor) {
			seen = version.Clock{{Actor: c.cfg.Actor, Counter: n}}
		}
	}
	dot, err := c.nextDot(seen)
	if err != nil {
		return cur, write, err
	}
	now := c.now(opt)
	states := make([]op.State, len(cur))
	for i := range cur {
		states[i] = op.State{Object: cur[i], Found: found[i], Now: now, Dot: dot}
	}
	changes, err := decide(states)
	if err != nil {
		return cur, write, err
	}
	next := make([]version.Object, len(cur))
	copy(next, cur)
	for i, ch := range changes {
		if ch.Context.Get(c.cfg.Actor) >= dot.Counter {
			return cur, make([]bool, len(cur)), fmt.Errorf("coordinator: a change of %d records covers its own dot %v", len(cur), dot)
		}
		switch ch.Action {
		case op.Keep:
			continue
		case op.Put:
			next[i] = cur[i].Update(ch.Context, dot, &version.Sibling{
				Time: now.UnixNano(), Expiry: ch.Expiry, Kind: ch.Kind, Value: ch.Value,
			})
		case op.Delete:
			next[i] = cur[i].Update(ch.Context, dot, nil)
			if next[i].IsTombstone() && !c.Distributed() {
				next[i] = version.Object{} // (see change)
			}
		default:
			return cur, make([]bool, len(cur)), fmt.Errorf("coordinator: unknown action %d", ch.Action)
		}
		write[i] = true
	}
	return next, write, nil
}

// elementPage is how many element records one read asks a replica for.
const elementPage = 1024

// ReadElements returns the element records of key (a hash's fields,
// tombstones and fields of ended incarnations included), each the merge of
// what R owners hold, by element (a hash's field name). In a cluster it reads every owner's
// records in pages and waits for R of them to finish; the owners' stand-ins
// are not asked (a field written to a stand-in while its owner was down
// shows once hinted handoff has delivered it). The owners among those R
// that lacked some of the merge are sent it in the background (read
// repair, repairElements): a collection read whole once is read from one
// owner again without waiting for anti-entropy. A big collection (more
// than smallRecords records here) whose R owners hold the same records
// (servedHere) is read from this node's records alone.
func (c *Coordinator) ReadElements(ctx context.Context, key []byte, opt Options) (map[string]version.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string]version.Object{}
	local := func() (map[string]version.Object, error) {
		return out, c.readLocalElements(key, func(ek []byte, o version.Object) bool {
			out[string(elementOf(ek))] = o
			return true
		})
	}
	if !c.Distributed() {
		return local()
	}
	large, err := c.eng.HasMoreElements(key, smallRecords)
	if err != nil {
		return nil, err
	}
	if large {
		if agreed, err := c.servedHere(ctx, key, opt); err != nil || agreed {
			if err != nil {
				return nil, err
			}
			c.stats.ownerReads.Add(1)
			return local()
		}
		c.stats.wholeReads.Add(1)
	}
	owners, _ := c.owners(key)
	r, _ := c.quorums(opt)
	r = min(r, len(owners))
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	type answer struct {
		name string
		recs map[string]version.Object
		err  error
	}
	answers := make(chan answer, len(owners))
	var wg sync.WaitGroup
	for _, name := range owners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs := map[string]version.Object{}
			err := c.readOwnerElements(ctx, name, key, func(ek []byte, o version.Object) {
				e := string(elementOf(ek))
				recs[e] = version.Merge(recs[e], o)
			})
			answers <- answer{name, recs, err}
		}()
	}
	// This node's own answer, when it is an owner, is always waited for
	// (it is a local read): the repair then brings its records up to
	// date, and its next read of the collection is served from them.
	var answered []answer
	failed, pending := 0, len(owners)
	selfPending := slices.Contains(owners, c.cfg.Cluster.Self())
	for pending > 0 && (selfPending || len(answered) < r && failed <= len(owners)-r) {
		a := <-answers
		pending--
		if a.name == c.cfg.Cluster.Self() {
			selfPending = false
		}
		if a.err != nil {
			failed++
			continue
		}
		answered = append(answered, a)
		for k, o := range a.recs {
			out[k] = version.Merge(out[k], o)
		}
	}
	cancel()
	wg.Wait()
	if len(answered) < r {
		return nil, c.stats.counted(&NoQuorumError{Op: "read", Answered: len(answered), Needed: r, Replicas: len(owners)})
	}
	for _, a := range answered {
		var keys [][]byte
		var objs []version.Object
		for e, o := range out {
			if !a.recs[e].Equal(o) {
				keys = append(keys, partition.ElementKey(nil, key, []byte(e)))
				objs = append(objs, o)
			}
		}
		if len(keys) > 0 {
			go c.repairElements(a.name, keys, objs)
		}
	}
	return out, nil
}

// repairElements sends owner name the merged element records it answered
// a read with less of (read repair), a page at a time.
func (c *Coordinator) repairElements(name string, keys [][]byte, objs []version.Object) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	for len(keys) > 0 {
		n := min(len(keys), elementPage)
		var err error
		if name == c.cfg.Cluster.Self() {
			err = c.eng.MergeBatch(keys[:n], objs[:n])
		} else {
			var reply []byte
			reply, err = c.call(ctx, name, rpc.MethodMergeBatch, replica.EncodeBatch(keys[:n], objs[:n]))
			c.LearnGeneration(replica.GenerationReply(reply))
		}
		if err != nil {
			slog.Debug("read repair of elements failed", "replica", name, "err", err)
			return
		}
		c.stats.readRepairs.Add(int64(n))
		keys, objs = keys[n:], objs[n:]
	}
}

// elementOf is the element an element key names.
func elementOf(ek []byte) []byte {
	_, e, _ := partition.SplitElementKey(ek)
	return e
}

// readLocalElements visits this node's element records of key until fn
// returns false.
func (c *Coordinator) readLocalElements(key []byte, fn func(ek []byte, o version.Object) bool) error {
	var after []byte
	going := true
	for going {
		more, err := c.eng.Elements(key, after, elementPage, func(ek []byte, o version.Object) {
			if going {
				going = fn(ek, o)
				after = ek
			}
		})
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// readOwnerElements visits owner name's element records of key, page by
// page, with MethodReadElements (or from this node's engine).
func (c *Coordinator) readOwnerElements(ctx context.Context, name string, key []byte, fn func(ek []byte, o version.Object)) error {
	if name == c.cfg.Cluster.Self() {
		return c.readLocalElements(key, func(ek []byte, o version.Object) bool {
			fn(ek, o)
			return true
		})
	}
	if !c.cfg.Cluster.Alive(name) {
		return fmt.Errorf("coordinator: %s is down", name)
	}
	var after []byte
	for {
		reply, err := c.call(ctx, name, rpc.MethodReadElements, replica.EncodeReadElements(key, after, elementPage, c.eng.Generation()))
		if err != nil {
			return err
		}
		keys, objs, more, gen, err := replica.DecodeReadElementsReply(reply)
		if err != nil {
			return err
		}
		c.LearnGeneration(gen)
		for i, ek := range keys {
			if engine.GenerationOf(objs[i]) >= c.eng.Generation() {
				fn(ek, objs[i])
			}
			after = ek
		}
		if !more || len(keys) == 0 {
			return nil
		}
	}
}

// applyHash runs a hash or set command's write here: the key's header and
// the named elements' records, decided together by op.ApplyHash. HDEL and
// SREM also need to know whether an element they do not name is left
// (moreFields).
func (c *Coordinator) applyHash(ctx context.Context, o *op.Op, opt Options) (op.Result, error) {
	fields := o.HashFields()
	keys := make([][]byte, 0, 1+len(fields))
	keys = append(keys, o.Key)
	for _, f := range fields {
		keys = append(keys, partition.ElementKey(nil, o.Key, f))
	}
	more, hdr, seen := false, version.Clock(nil), version.Clock(nil)
	removes := o.Code == op.HDel || o.Code == op.SRem || o.Code == op.ZRem
	if removes {
		var err error
		if more, hdr, seen, err = c.moreFields(ctx, o.Key, fields, opt); err != nil {
			return op.Result{}, err
		}
	}
	return c.updateCollection(ctx, keys, opt, func(st *op.HashState) (op.HashChange, op.Result, error) {
		st.More = more
		st.Alone = !c.Distributed()
		if removes && !st.More {
			st.More = !st.Header.Object.Clock.Equal(hdr) || c.Distributed() && !writesSeen(*st, seen)
		}
		return o.ApplyHash(st)
	})
}

// updateCollection is UpdateGroup for a collection's records: keys[0] its
// header, the rest its elements' records, decided as one op.HashState.
func (c *Coordinator) updateCollection(ctx context.Context, keys [][]byte, opt Options, decide func(st *op.HashState) (op.HashChange, op.Result, error)) (op.Result, error) {
	var res op.Result
	_, err := c.UpdateGroup(ctx, keys, func(states []op.State) ([]op.Change, error) {
		st := op.HashState{Header: states[0], Fields: states[1:]}
		ch, r, err := decide(&st)
		res = r
		if err != nil {
			return nil, err
		}
		return append([]op.Change{ch.Header}, ch.Fields...), nil
	}, opt)
	return res, err
}

// writesSeen reports whether every write that made a version of the hash's
// header is seen in a field record: in seen (the field records moreFields
// read) or in the named fields' own records. Every hash write stores its
// fields and the header with one dot, so a header version whose fields no
// record shows is a write whose fields the reads missed (under sloppy
// quorum a stand-in may hold them): HDEL then keeps the header, and with
// it the incarnation those fields live in. (A ghost header, a hash with no
// field, may stay; no acknowledged field is lost.)
func writesSeen(st op.HashState, seen version.Clock) bool {
	for _, s := range st.Header.Object.Siblings {
		covered := seen.Covers(s.Dot)
		for _, f := range st.Fields {
			covered = covered || f.Object.Clock.Covers(s.Dot)
		}
		if !covered {
			return false
		}
	}
	return true
}

// moreFields reports whether key's hash has a live field besides named,
// the header's clock it judged by, and the join of the clocks of the field
// records it read at quorum (when it read the whole hash; see writesSeen).
// This node's own records are looked at first, which settles it when one of
// them is live at quorum too; only a hash that seems to be emptied is read
// whole at quorum.
func (c *Coordinator) moreFields(ctx context.Context, key []byte, named [][]byte, opt Options) (more bool, header, seen version.Clock, err error) {
	hdr, found, err := c.Read(ctx, key, opt)
	if err != nil || !found {
		return false, hdr.Clock, nil, err
	}
	v, ok, err := op.Resolve(hdr, c.now(opt).UnixMilli())
	if err != nil || !ok || v.Collection == nil {
		return false, hdr.Clock, nil, err
	}
	skip := make(map[string]bool, len(named))
	for _, f := range named {
		skip[string(f)] = true
	}
	var candidate []byte
	err = c.readLocalElements(key, func(ek []byte, o version.Object) bool {
		if skip[string(elementOf(ek))] {
			return true
		}
		if _, live, _ := op.ResolveField(o, v.Collection); live {
			candidate = ek
		}
		return candidate == nil
	})
	if err != nil {
		return false, hdr.Clock, nil, err
	}
	if candidate != nil {
		if rec, found, err := c.Read(ctx, candidate, opt); err != nil {
			return false, hdr.Clock, nil, err
		} else if _, live, _ := op.ResolveField(rec, v.Collection); found && live {
			return true, hdr.Clock, nil, nil
		}
	}
	if !c.Distributed() {
		return false, hdr.Clock, nil, nil
	}
	recs, err := c.ReadElements(ctx, key, opt)
	if err != nil {
		return false, hdr.Clock, nil, err
	}
	for ek, o := range recs {
		seen = seen.Join(o.Clock)
		if skip[ek] {
			continue
		}
		if _, live, err := op.ResolveField(o, v.Collection); err != nil {
			return false, hdr.Clock, nil, err
		} else if live {
			return true, hdr.Clock, seen, nil
		}
	}
	return false, hdr.Clock, seen, nil
}

// errReplacesCollection is what a write that would replace or delete a whole
// hash or set answers from Update's decision: apply then runs it again as
// overwriteCollection, over its elements too.
var errReplacesCollection = errors.New("coordinator: the write replaces a hash or a set")

// overwriteCollection runs o, a write that replaces or deletes a key holding
// a hash or a set (DEL, SET, an EXPIRE in the past): every element record
// read at quorum is deleted with the versions seen of it, in the same group
// as the header's change (op.DeleteHash, then o's own decision for the
// header). An element written concurrently, which the read did not see,
// survives, and so does the collection (merge rule 5 of the hashes).
func (c *Coordinator) overwriteCollection(ctx context.Context, o *op.Op, opt Options) (op.Result, error) {
	return c.decideWhole(ctx, o, opt, func(st *op.HashState, _ [][]byte) (op.HashChange, op.Result, error) {
		hch, r, err := o.Apply(&st.Header)
		if err != nil || !r.Wrote { // (SET NX on a hash, say)
			return op.HashChange{Fields: make([]op.Change, len(st.Fields))}, r, err
		}
		ch := op.DeleteHash(st)
		ch.Header = hch
		return ch, r, nil
	})
}

// applyPop runs SPOP here (op.ApplyPop).
func (c *Coordinator) applyPop(ctx context.Context, o *op.Op, opt Options) (op.Result, error) {
	return c.decideWhole(ctx, o, opt, func(st *op.HashState, names [][]byte) (op.HashChange, op.Result, error) {
		st.Alone = !c.Distributed()
		return o.ApplyPop(st, names)
	})
}

// applyZRange runs ZRemRange here (op.ApplyZRange): over the members the
// score index names, on a lone node (applyZRangeIndexed) or in a cluster
// where R owners hold the same members (applyZRangeAgreed); otherwise, or
// when those cannot serve it, over the whole set.
func (c *Coordinator) applyZRange(ctx context.Context, o *op.Op, opt Options) (op.Result, error) {
	if r, err := op.DecodeZRange(o.Value); err == nil {
		if _, _, _, whole := r.Scan(); !whole {
			apply := c.applyZRangeIndexed
			if c.Distributed() {
				apply = c.applyZRangeAgreed
			}
			if res, served, err := apply(ctx, o, r, opt); served || err != nil {
				return res, err
			}
		}
	}
	return c.decideWhole(ctx, o, opt, func(st *op.HashState, names [][]byte) (op.HashChange, op.Result, error) {
		st.Alone = !c.Distributed()
		return o.ApplyZRange(st, names)
	})
}

// applyStore runs SStore here (op.ApplyStore): the new members' records are
// in the group as well as the key's current elements.
func (c *Coordinator) applyStore(ctx context.Context, o *op.Op, opt Options) (op.Result, error) {
	return c.decideWhole(ctx, o, opt, o.ApplyStore)
}

// decideWhole runs o here over its key's whole collection: every element
// record read at quorum (plus those of the elements o names), decided with
// the header as one group by decide, which gets the records in element
// order with their elements' names.
func (c *Coordinator) decideWhole(ctx context.Context, o *op.Op, opt Options, decide func(st *op.HashState, names [][]byte) (op.HashChange, op.Result, error)) (op.Result, error) {
	lone := !c.Distributed()
	var seen version.Object // a lone node's header, read before its elements
	found := true
	if lone {
		var err error
		if seen, found, err = c.eng.Get(o.Key); err != nil {
			return op.Result{}, err
		}
	}
	recs := map[string]version.Object{}
	var err error
	if found || !o.Code.Removes() {
		// (A removal from a key this lone node holds no header of has
		// no live element to remove, and does not step over the records
		// of elements removed before: a walk of them costs as many steps
		// as versions Pebble has not compacted away yet.)
		recs, err = c.ReadElements(ctx, o.Key, opt)
	}
	if err != nil {
		var nq *NoQuorumError
		if errors.As(err, &nq) {
			nq.Op = "write"
		}
		return op.Result{}, err
	}
	for _, e := range o.Fields {
		if _, ok := recs[string(e)]; !ok {
			recs[string(e)] = version.Object{}
		}
	}
	sorted := slices.Sorted(maps.Keys(recs))
	keys := make([][]byte, 0, 1+len(sorted))
	keys = append(keys, o.Key)
	names := make([][]byte, len(sorted))
	for i, e := range sorted {
		names[i] = []byte(e)
		keys = append(keys, partition.ElementKey(nil, o.Key, names[i]))
	}
	return c.updateCollection(ctx, keys, opt, func(st *op.HashState) (op.HashChange, op.Result, error) {
		// Every write of a collection's elements writes its header too:
		// a header unchanged since before the elements were read says
		// they were read whole.
		if lone && !st.Header.Object.Clock.Equal(seen.Clock) {
			more, err := c.liveBeyond(o.Key, st, names)
			if err != nil {
				return op.HashChange{}, op.Result{}, err
			}
			st.More = more
		}
		return decide(st, names)
	})
}

// liveBeyond reports whether key's collection (its header in st) has a
// live element on this node besides those named. A lone node decides over
// a whole set read before the set's lock is taken, and trusts what it
// holds (HashState.Alone) to remove the header with the last element; an
// element added between the read and the lock must keep the header, or it
// would be lost with it. Under the lock no write of the key can land, so
// this read is exact. It is needed only when the header changed since the
// first read.
func (c *Coordinator) liveBeyond(key []byte, st *op.HashState, names [][]byte) (bool, error) {
	v, found, err := st.Header.Value()
	if err != nil || !found || v.Collection == nil {
		return false, err
	}
	named := make(map[string]bool, len(names))
	for _, n := range names {
		named[string(n)] = true
	}
	more := false
	err = c.readLocalElements(key, func(ek []byte, o version.Object) bool {
		if named[string(elementOf(ek))] {
			return true
		}
		_, live, _ := op.ResolveField(o, v.Collection)
		more = live
		return !more
	})
	return more, err
}
