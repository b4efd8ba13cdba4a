package dev.rill.runtime.internal.kernel;

import java.lang.System.Logger.Level;
import java.util.Locale;

/**
 * Chooses the {@link Kernels} implementation once per JVM, at class initialisation, and logs the choice.
 * The system property {@code rill.kernels} ({@code scalar} or {@code vector}) forces one.
 */
public final class KernelProvider {

  /** The system property that forces a choice. */
  public static final String PROPERTY = "rill.kernels";

  private static final System.Logger LOG = System.getLogger("dev.rill.runtime");

  private KernelProvider() {}

  /** The kernels of this JVM. */
  public static Kernels get() {
    return Holder.KERNELS;
  }

  private static final class Holder {
    static final Kernels KERNELS = choose(System.getProperty(PROPERTY, ""));
  }

  static Kernels choose(String forced) {
    String choice = forced.trim().toLowerCase(Locale.ROOT);
    switch (choice) {
      case "", "scalar" -> LOG.log(Level.INFO, "Rill kernels: scalar"
          + (choice.isEmpty() ? " (no vector kernels in this build)" : " (forced by -D" + PROPERTY + "=scalar)"));
      case "vector" -> LOG.log(Level.WARNING, "Rill kernels: -D" + PROPERTY
          + "=vector was requested but this build has no vector kernels; using the scalar kernels");
      default -> LOG.log(Level.WARNING, "Rill kernels: unknown -D" + PROPERTY + "=" + forced
          + " (expected scalar or vector); using the scalar kernels");
    }
    return ScalarKernels.INSTANCE;
  }
}
