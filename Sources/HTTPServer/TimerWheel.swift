/// A hashed timer wheel (Varghese & Lauck): O(1) schedule and cancel, expiry in tick
/// steps. Pure: the caller passes the time in, so it is tested without a clock.
/// Used for header/body/idle/write timeouts and SSE pings, which tolerate one tick of
/// lateness.
package struct TimerWheel: Sendable {
    private struct Entry: Sendable {
        var deadline: UInt64
    }

    /// Length of one tick in nanoseconds.
    package let tickNanos: UInt64
    private var slots: [[UInt64: Entry]]
    private var slotOf: [UInt64: Int] = [:]
    /// The next tick to be processed.
    private var currentTick: UInt64
    private var nextID: UInt64 = 1
    /// A lower bound on the earliest deadline (cancel does not raise it; advance
    /// recomputes it), so an idle loop sleeps until then instead of every tick.
    private var earliest: UInt64 = .max

    /// A wheel with `slotCount` slots of `tickNanos` each, starting at time `now`.
    package init(tickNanos: UInt64 = 10_000_000, slotCount: Int = 512, now: UInt64) {
        self.tickNanos = tickNanos
        slots = Array(repeating: [:], count: slotCount)
        currentTick = now / tickNanos
    }

    /// Number of scheduled timers.
    package var count: Int { slotOf.count }

    /// Schedules a timer at `deadline`; returns its id.
    package mutating func schedule(at deadline: UInt64) -> UInt64 {
        let id = nextID
        nextID += 1
        let tick = max(deadline / tickNanos + (deadline % tickNanos == 0 ? 0 : 1), currentTick)
        let slot = Int(tick % UInt64(slots.count))
        slots[slot][id] = Entry(deadline: deadline)
        slotOf[id] = slot
        earliest = min(earliest, deadline)
        return id
    }

    /// Cancels a timer; unknown or fired ids are ignored.
    package mutating func cancel(_ id: UInt64) {
        if let slot = slotOf.removeValue(forKey: id) {
            slots[slot][id] = nil
        }
    }

    /// Advances to `now` and returns the ids of timers whose deadline has passed, in
    /// deadline order.
    package mutating func advance(to now: UInt64) -> [UInt64] {
        guard !slotOf.isEmpty else {
            currentTick = max(currentTick, now / tickNanos)
            return []
        }
        var fired: [(UInt64, UInt64)] = []
        let target = now / tickNanos
        // Visiting more than one revolution is pointless: every slot has been seen.
        let steps = min(target &- currentTick &+ 1, UInt64(slots.count))
        if target >= currentTick {
            for step in 0..<steps {
                let slot = Int((currentTick + step) % UInt64(slots.count))
                if slots[slot].isEmpty { continue }
                for (id, e) in slots[slot] where e.deadline <= now {
                    fired.append((e.deadline, id))
                }
            }
            currentTick = target
        }
        for (_, id) in fired { cancel(id) }
        if now >= earliest {
            earliest = slots.lazy.flatMap { $0.values.map(\.deadline) }.min() ?? .max
        }
        return fired.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// Nanoseconds from `now` until the next tick worth waking for, or nil if no timer
    /// is scheduled. Never later than the earliest deadline.
    package func nanosUntilNextTick(now: UInt64) -> UInt64? {
        guard !slotOf.isEmpty else { return nil }
        if earliest > now { return earliest - now + 1 }
        let next = (now / tickNanos + 1) * tickNanos
        return next - now
    }
}
