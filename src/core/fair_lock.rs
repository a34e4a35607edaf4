//! A first-come, first-served async lock for the engine's single thread: requests get the engine in the order they
//! arrived (a ticket is taken when `lock()` is called, not when the future is first polled), a request that arrives
//! while the lock is being handed over cannot jump the queue, and a waiter that is dropped (its request abandoned)
//! leaves the queue without holding up the next one. `futures_util`'s mutex gives none of these guarantees: it wakes
//! an arbitrary waiter and lets a newcomer take the lock before the woken one runs.
//!
//! Single-threaded by design (`Rc`/`RefCell` inside): the offscreen document runs the engine on one thread.

use std::cell::{Cell, RefCell, RefMut};
use std::collections::VecDeque;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct Queue {
    /// Tickets waiting, in arrival order, with the waker of their last poll.
    waiting: VecDeque<(u64, Option<Waker>)>,
    next_ticket: u64,
}

pub struct FairLock<T> {
    value: RefCell<T>,
    held: Cell<bool>,
    queue: RefCell<Queue>,
}

impl<T: Default> Default for FairLock<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> FairLock<T> {
    pub fn new(value: T) -> Self {
        Self {
            value: RefCell::new(value),
            held: Cell::new(false),
            queue: RefCell::new(Queue::default()),
        }
    }

    /// Take a place in the queue now; the future resolves when every earlier ticket has had its turn.
    pub fn lock(&self) -> Lock<'_, T> {
        let mut q = self.queue.borrow_mut();
        let ticket = q.next_ticket;
        q.next_ticket += 1;
        q.waiting.push_back((ticket, None));
        Lock {
            lock: self,
            ticket,
            done: false,
        }
    }

    /// How many requests wait for the lock (not counting the holder).
    pub fn waiting(&self) -> usize {
        self.queue.borrow().waiting.len()
    }

    /// Wake the first ticket in the queue, if the lock is free.
    fn wake_next(&self) {
        if self.held.get() {
            return;
        }
        if let Some((_, Some(w))) = self.queue.borrow().waiting.front() {
            w.wake_by_ref();
        }
    }
}

/// The future of [`FairLock::lock`].
pub struct Lock<'a, T> {
    lock: &'a FairLock<T>,
    ticket: u64,
    done: bool,
}

impl<'a, T> Future for Lock<'a, T> {
    type Output = FairGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let lock = self.lock;
        let mut q = lock.queue.borrow_mut();
        let first = q.waiting.front().map(|(t, _)| *t) == Some(self.ticket);
        if first && !lock.held.get() {
            q.waiting.pop_front();
            drop(q);
            lock.held.set(true);
            self.done = true;
            return Poll::Ready(FairGuard {
                lock,
                value: Some(lock.value.borrow_mut()),
            });
        }
        if let Some(entry) = q.waiting.iter_mut().find(|(t, _)| *t == self.ticket) {
            entry.1 = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl<T> Drop for Lock<'_, T> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // Abandoned while waiting: leave the queue, and if it was next, let the one behind it go.
        let mut q = self.lock.queue.borrow_mut();
        let was_first = q.waiting.front().map(|(t, _)| *t) == Some(self.ticket);
        q.waiting.retain(|(t, _)| *t != self.ticket);
        drop(q);
        if was_first {
            self.lock.wake_next();
        }
    }
}

/// Access to the value while the lock is held; the next in line is woken when it drops.
pub struct FairGuard<'a, T> {
    lock: &'a FairLock<T>,
    value: Option<RefMut<'a, T>>,
}

impl<T> Deref for FairGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.value
            .as_deref()
            .unwrap_or_else(|| unreachable!("the value is held until drop"))
    }
}

impl<T> DerefMut for FairGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value
            .as_deref_mut()
            .unwrap_or_else(|| unreachable!("the value is held until drop"))
    }
}

impl<T> Drop for FairGuard<'_, T> {
    fn drop(&mut self) {
        self.value = None;
        self.lock.held.set(false);
        self.lock.wake_next();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    /// Counts wakes, so a test can see who was told to run.
    struct Counter(AtomicUsize);
    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn waker() -> (Arc<Counter>, Waker) {
        let c = Arc::new(Counter(AtomicUsize::new(0)));
        (c.clone(), Waker::from(c))
    }

    fn poll<F: Future>(f: &mut Pin<Box<F>>, w: &Waker) -> Poll<F::Output> {
        f.as_mut().poll(&mut Context::from_waker(w))
    }

    #[test]
    fn turns_follow_arrival_order_and_newcomers_cannot_jump_the_queue() {
        let lock = FairLock::new(Vec::<u32>::new());
        let (_, w) = waker();
        let mut a = Box::pin(lock.lock());
        let mut b = Box::pin(lock.lock());
        let mut c = Box::pin(lock.lock());
        // c is polled first, but a arrived first.
        assert!(poll(&mut c, &w).is_pending());
        assert!(poll(&mut b, &w).is_pending());
        let Poll::Ready(mut ga) = poll(&mut a, &w) else {
            panic!("a is first")
        };
        ga.push(1);
        // While a holds it, a newcomer queues behind c.
        let mut d = Box::pin(lock.lock());
        assert!(poll(&mut d, &w).is_pending());
        drop(ga);
        assert!(poll(&mut c, &w).is_pending(), "b arrived before c");
        assert!(poll(&mut d, &w).is_pending());
        let Poll::Ready(mut gb) = poll(&mut b, &w) else {
            panic!("b is next")
        };
        gb.push(2);
        drop(gb);
        assert!(poll(&mut d, &w).is_pending(), "d must not barge ahead of c");
        let Poll::Ready(mut gc) = poll(&mut c, &w) else {
            panic!("c is next")
        };
        gc.push(3);
        drop(gc);
        let Poll::Ready(gd) = poll(&mut d, &w) else {
            panic!("d last")
        };
        assert_eq!(*gd, vec![1, 2, 3]);
        drop(gd);
        assert_eq!(lock.waiting(), 0);
    }

    #[test]
    fn the_next_in_line_is_woken_and_an_abandoned_waiter_steps_aside() {
        let lock = FairLock::new(0u32);
        let (_, w) = waker();
        let (b_wakes, wb) = waker();
        let (c_wakes, wc) = waker();
        let mut a = Box::pin(lock.lock());
        let mut b = Box::pin(lock.lock());
        let mut c = Box::pin(lock.lock());
        let Poll::Ready(ga) = poll(&mut a, &w) else { panic!() };
        assert!(poll(&mut b, &wb).is_pending());
        assert!(poll(&mut c, &wc).is_pending());
        drop(ga);
        assert_eq!(b_wakes.0.load(Ordering::SeqCst), 1, "b woken");
        assert_eq!(c_wakes.0.load(Ordering::SeqCst), 0, "c not yet");
        // b's request is abandoned before it runs: c goes next, and is told so.
        drop(b);
        assert_eq!(c_wakes.0.load(Ordering::SeqCst), 1);
        assert!(matches!(poll(&mut c, &wc), Poll::Ready(_)));
    }
}
