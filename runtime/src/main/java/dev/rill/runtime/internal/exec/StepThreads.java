package dev.rill.runtime.internal.exec;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The worker threads of one model that split a step of a large layer: {@code threads - 1} daemon workers
 * plus the calling thread, each running one part of a job. A job handoff allocates nothing: the caller
 * publishes a preallocated {@link Parts} and bumps a generation counter; workers spin briefly and then park
 * while waiting, and the caller spins and then parks until every part is done.
 *
 * <p>One job runs at a time; callers from several threads (sessions of one model) take turns. Only layers
 * with at least {@link #minHidden()} hidden units are split: below that, the handoff (a few microseconds)
 * costs more than the parallel work saves, and the weights of a small layer fit in one core's cache anyway.
 */
public final class StepThreads implements AutoCloseable {

  /** Smallest hidden size split across threads by default: at H = 512 an LSTM's weights exceed an L2 cache. */
  public static final int DEFAULT_MIN_HIDDEN = 512;

  /** Busy-wait iterations (tens of microseconds) before parking: steps come back to back in a busy stream. */
  private static final int SPINS = 1 << 11;

  /** One job: {@link #run(int)} is called once for each part {@code 0 .. threads-1}, concurrently. */
  public interface Parts {
    /** Runs part {@code part}. */
    void run(int part);
  }

  private final int threads;
  private final int minHidden;
  private final Worker[] workers;
  private final AtomicInteger pending = new AtomicInteger();
  private volatile Parts job;
  private volatile int generation;
  private volatile Throwable failure;
  private volatile Thread caller;
  private volatile boolean callerParked;
  /** Set first by close(): new jobs are refused while the one in progress finishes. */
  private volatile boolean closing;
  /** Set under this object's lock, so never between a job's check and its publication: workers stop on it. */
  private volatile boolean closed;

  /** Starts {@code threads - 1} daemon workers; layers with fewer than {@code minHidden} units are not split. */
  public StepThreads(int threads, int minHidden) {
    if (threads < 2) {
      throw new IllegalArgumentException("a step thread pool needs at least 2 threads, got " + threads);
    }
    this.threads = threads;
    this.minHidden = minHidden;
    this.workers = new Worker[threads - 1];
    for (int i = 0; i < workers.length; i++) {
      workers[i] = new Worker(i + 1);
    }
    try {
      for (Worker worker : workers) {
        worker.thread.start();
      }
    } catch (Throwable t) {
      close(); // stops the workers already started ("unable to create native thread")
      throw t;
    }
  }

  /** The number of parts of a job: the workers and the calling thread. */
  public int threads() {
    return threads;
  }

  /** Layers with fewer hidden units run on the calling thread only. */
  public int minHidden() {
    return minHidden;
  }

  /**
   * Runs {@code parts} on every thread, part 0 on the calling thread, and returns when all parts are done.
   * An exception of a part is rethrown here.
   */
  public synchronized void run(Parts parts) {
    if (closing) {
      throw new IllegalStateException("the step threads are closed (the model was closed)");
    }
    job = parts;
    caller = Thread.currentThread();
    pending.set(workers.length);
    generation++; // publishes job (volatile write after the plain stores)
    for (Worker worker : workers) {
      if (worker.parked) {
        LockSupport.unpark(worker.thread);
      }
    }
    Throwable own = null;
    try {
      parts.run(0);
    } catch (Throwable t) {
      own = t;
    }
    awaitWorkers();
    Throwable workerFailure = failure;
    failure = null;
    job = null;
    if (own != null) {
      throwUnchecked(own);
    }
    if (workerFailure != null) {
      throw new IllegalStateException("a step thread failed: " + workerFailure, workerFailure);
    }
  }

  private void awaitWorkers() {
    for (int spin = 0; pending.get() != 0; spin++) {
      if (spin < SPINS) {
        Thread.onSpinWait();
      } else {
        callerParked = true;
        if (pending.get() != 0) {
          LockSupport.park(this);
        }
        callerParked = false;
      }
    }
  }

  /**
   * Stops the workers after the job in progress, if any, which completes (a caller never waits for workers
   * that stopped); later {@link #run} calls throw IllegalStateException. Idempotent.
   */
  @Override
  public void close() {
    closing = true;
    // The lock waits for a job that passed its check to be done: a worker that sees closed has no job left.
    synchronized (this) {
      closed = true;
    }
    for (Worker worker : workers) {
      LockSupport.unpark(worker.thread);
    }
  }

  private static void throwUnchecked(Throwable t) {
    if (t instanceof RuntimeException e) {
      throw e;
    }
    if (t instanceof Error e) {
      throw e;
    }
    throw new IllegalStateException(t);
  }

  private final class Worker implements Runnable {
    private final int part;
    private final Thread thread;
    private volatile boolean parked;

    Worker(int part) {
      this.part = part;
      this.thread = new Thread(this, "rill-step-" + part);
      thread.setDaemon(true);
    }

    @Override
    public void run() {
      int seen = 0;
      while (true) {
        int current;
        for (int spin = 0; (current = generation) == seen; spin++) {
          if (closed) {
            return;
          }
          if (spin < SPINS) {
            Thread.onSpinWait();
          } else {
            parked = true;
            if (generation == seen && !closed) {
              LockSupport.park(this);
            }
            parked = false;
          }
        }
        seen = current;
        try {
          job.run(part);
        } catch (Throwable t) {
          failure = t;
        }
        if (pending.decrementAndGet() == 0 && callerParked) {
          LockSupport.unpark(caller);
        }
      }
    }
  }
}
