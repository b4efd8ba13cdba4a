package dev.rill.trainer.math;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A product split over a fixed number of threads: the caller computes part 0 and a pool of daemon threads, started
 * on the first product, the others. Each part is a block of c computed by the wrapped implementation exactly as it
 * would be by one thread, so the result does not depend on the thread count. Thread-safe: concurrent products on
 * one instance take turns. No allocation per product once the threads run.
 */
final class ThreadedGemm extends AbstractGemm {

  private static final AtomicInteger POOLS = new AtomicInteger();

  private final AbstractGemm base;
  private final int threads;
  private final Worker[] workers;
  private final AtomicInteger pending = new AtomicInteger();
  private boolean started;
  private boolean closed;

  // The product in progress, read by the workers after the release in start (volatile job field of Worker).
  private FloatMatrix a;
  private boolean transposeA;
  private PackedMatrix b;
  private FloatMatrix c;
  private boolean accumulate;
  private volatile Thread caller;
  private volatile Throwable failure;

  ThreadedGemm(AbstractGemm base, int threads) {
    this.base = base;
    this.threads = threads;
    this.workers = new Worker[threads - 1];
  }

  @Override
  public String name() {
    return base.name() + " x" + threads + " threads";
  }

  @Override
  int panelWidth() {
    return base.panelWidth();
  }

  @Override
  boolean acceptsPanelWidth(int width) {
    return base.acceptsPanelWidth(width);
  }

  @Override
  public FloatGemm withThreads(int count) {
    return base.withThreads(count);
  }

  @Override
  void compute(FloatMatrix a, boolean transposeA, PackedMatrix b, FloatMatrix c, boolean accumulate, int part,
      int parts) {
    base.compute(a, transposeA, b, c, accumulate, part, parts);
  }

  @Override
  synchronized void run(FloatMatrix a, boolean transposeA, PackedMatrix b, FloatMatrix c, boolean accumulate) {
    if (closed) {
      throw new IllegalStateException(name() + " is closed");
    }
    if (threads == 1) {
      base.compute(a, transposeA, b, c, accumulate, 0, 1);
      return;
    }
    if (!started) {
      int pool = POOLS.incrementAndGet();
      for (int t = 0; t < workers.length; t++) {
        workers[t] = new Worker(t + 1);
        Thread thread = new Thread(workers[t], "rill-gemm-" + pool + "-" + (t + 1));
        thread.setDaemon(true);
        workers[t].thread = thread;
        thread.start();
      }
      started = true;
    }
    this.a = a;
    this.transposeA = transposeA;
    this.b = b;
    this.c = c;
    this.accumulate = accumulate;
    this.failure = null;
    this.caller = Thread.currentThread();
    pending.set(workers.length);
    for (Worker worker : workers) {
      worker.go = true;
      LockSupport.unpark(worker.thread);
    }
    Throwable own = null;
    try {
      base.compute(a, transposeA, b, c, accumulate, 0, threads);
    } catch (Throwable e) {
      own = e;
    }
    int spins = 0;
    while (pending.get() != 0) {
      if (++spins < 2000) {
        Thread.onSpinWait();
      } else {
        LockSupport.park(this);
      }
    }
    this.a = null;
    this.b = null;
    this.c = null;
    Throwable failed = own != null ? own : failure;
    if (failed instanceof RuntimeException e) {
      throw e;
    }
    if (failed instanceof Error e) {
      throw e;
    }
  }

  /** Stops the pool's threads once their current part is done; later products throw IllegalStateException. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (started) {
      for (Worker worker : workers) {
        worker.stop = true;
        LockSupport.unpark(worker.thread);
      }
    }
  }

  private final class Worker implements Runnable {
    final int part;
    Thread thread;
    volatile boolean go;
    volatile boolean stop;

    Worker(int part) {
      this.part = part;
    }

    @Override
    public void run() {
      while (true) {
        int spins = 0;
        while (!go) {
          if (stop) {
            return;
          }
          if (++spins < 2000) {
            Thread.onSpinWait();
          } else {
            LockSupport.park(this);
          }
        }
        go = false;
        try {
          base.compute(a, transposeA, b, c, accumulate, part, threads);
        } catch (Throwable e) {
          failure = e;
        }
        if (pending.decrementAndGet() == 0) {
          LockSupport.unpark(caller);
        }
      }
    }
  }
}
