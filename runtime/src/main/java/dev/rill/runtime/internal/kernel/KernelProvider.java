package dev.rill.runtime.internal.kernel;

import java.lang.System.Logger.Level;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Chooses the {@link Kernels} implementation once per JVM, at class initialisation, and logs the choice
 * once through {@link System.Logger} ({@code dev.rill.runtime}).
 *
 * <p>The vector kernels are chosen when the module {@code jdk.incubator.vector} is in the boot layer and
 * readable, the JIT has C2 (not {@code -Xint}, not {@code -XX:TieredStopAtLevel} below 4, not a client or
 * minimal VM: C1 runs Vector API code over a hundred times slower than C2) and the preferred float species
 * has at least 128 bits. Otherwise the scalar kernels are chosen and the log says why and how to enable the
 * vector ones ({@code --add-modules jdk.incubator.vector}).
 *
 * <p>The system property {@code rill.kernels} ({@code scalar} or {@code vector}) forces a choice; forcing
 * {@code vector} still needs the module. {@link VectorKernels} is loaded only by reflection, after the
 * module check, so the runtime loads and works without the incubator module.
 */
public final class KernelProvider {

  /** The system property that forces a choice. */
  public static final String PROPERTY = "rill.kernels";

  private static final String VECTOR_MODULE = "jdk.incubator.vector";
  private static final String VECTOR_KERNELS = "dev.rill.runtime.internal.kernel.VectorKernels";
  private static final String HOW_TO_ENABLE = "to enable the vector kernels, run the JVM with --add-modules "
      + VECTOR_MODULE + " and the C2 JIT (the default: no -Xint, no -XX:TieredStopAtLevel below 4)";

  private static final System.Logger LOG = System.getLogger("dev.rill.runtime");

  private KernelProvider() {}

  /** The kernels of this JVM. */
  public static Kernels get() {
    return Holder.KERNELS;
  }

  private static final class Holder {
    static final Kernels KERNELS = choose(System.getProperty(PROPERTY, ""));
  }

  /** The choice for a value of {@code rill.kernels} ("" for automatic), logged once. */
  static Kernels choose(String forced) {
    String choice = forced.trim().toLowerCase(Locale.ROOT);
    switch (choice) {
      case "scalar" -> {
        LOG.log(Level.INFO, "Rill kernels: scalar (forced by -D" + PROPERTY + "=scalar)");
        return ScalarKernels.INSTANCE;
      }
      case "vector" -> {
        String missing = moduleProblem();
        Kernels vector = missing == null ? loadVector() : null;
        if (vector == null) {
          LOG.log(Level.WARNING, "Rill kernels: -D" + PROPERTY + "=vector was requested but "
              + (missing != null ? missing : "the vector kernels failed to load") + "; using the scalar kernels; "
              + HOW_TO_ENABLE);
          return ScalarKernels.INSTANCE;
        }
        LOG.log(Level.INFO, "Rill kernels: " + vector.name() + " (forced by -D" + PROPERTY + "=vector)");
        return vector;
      }
      case "" -> {
        return automatic("");
      }
      default -> {
        return automatic(" (ignoring unknown -D" + PROPERTY + "=" + forced + "; expected scalar or vector)");
      }
    }
  }

  private static Kernels automatic(String note) {
    String problem = moduleProblem();
    if (problem == null) {
      problem = compilerProblem();
    }
    Kernels vector = problem == null ? loadVector() : null;
    if (problem == null && vector == null) {
      problem = "the vector kernels failed to load";
    }
    if (problem == null && vectorBitSize() < 128) {
      problem = "the preferred vector size is only " + vectorBitSize() + " bits";
    }
    if (problem != null) {
      LOG.log(Level.WARNING, "Rill kernels: scalar, because " + problem + "; " + HOW_TO_ENABLE + note);
      return ScalarKernels.INSTANCE;
    }
    LOG.log(note.isEmpty() ? Level.INFO : Level.WARNING, "Rill kernels: " + vector.name() + note);
    return vector;
  }

  /** Why the incubator module cannot be used, or null when it can. */
  static String moduleProblem() {
    Optional<Module> module = ModuleLayer.boot().findModule(VECTOR_MODULE);
    if (module.isEmpty()) {
      return "the module " + VECTOR_MODULE + " is not in the boot layer";
    }
    if (!KernelProvider.class.getModule().canRead(module.get())) {
      return KernelProvider.class.getModule() + " cannot read " + VECTOR_MODULE;
    }
    return null;
  }

  /** Why this JVM has no C2 compiler to run vector code, or null when it has. */
  static String compilerProblem() {
    String vmName = System.getProperty("java.vm.name", "");
    String vmInfo = System.getProperty("java.vm.info", "");
    if (vmInfo.contains("interpreted mode")) {
      return "the JVM runs in interpreted mode (-Xint)";
    }
    if (vmName.contains("Client VM") || vmName.contains("Minimal VM")) {
      return "the JVM (" + vmName + ") has no C2 compiler";
    }
    List<String> arguments;
    try {
      arguments = ManagementFactory.getRuntimeMXBean().getInputArguments();
    } catch (RuntimeException | LinkageError e) {
      return null; // no java.management: nothing more to check
    }
    return compilerProblem(arguments);
  }

  /** The C2 check on the JVM's arguments, such as {@code -XX:TieredStopAtLevel=1}; null when none disables C2. */
  static String compilerProblem(List<String> arguments) {
    String problem = null;
    for (String argument : arguments) {
      // The last occurrence of a flag wins, as in HotSpot.
      if (argument.equals("-Xint")) {
        problem = "the JVM runs in interpreted mode (-Xint)";
      } else if (argument.startsWith("-XX:TieredStopAtLevel=")) {
        String level = argument.substring("-XX:TieredStopAtLevel=".length()).trim();
        problem = level.equals("4") ? null : "the JIT stops at C1 (" + argument + ")";
      } else if (argument.equals("-XX:-UseCompiler")) {
        problem = "the JIT is off (" + argument + ")";
      } else if (argument.equals("-client")) {
        problem = "the JVM runs as a client VM (-client)";
      }
    }
    return problem;
  }

  private static Kernels loadVector() {
    return loadKernels(VECTOR_KERNELS);
  }

  /**
   * The {@code INSTANCE} of a kernels class, or null (logged with its cause) when it cannot be loaded. Only
   * called once the module checks have passed, so a failure here is unexpected, and a warning, not a debug line.
   */
  static Kernels loadKernels(String className) {
    try {
      return (Kernels) Class.forName(className).getField("INSTANCE").get(null);
    } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
      LOG.log(Level.WARNING, "Rill kernels: loading " + className + " failed", e);
      return null;
    }
  }

  private static int vectorBitSize() {
    try {
      return (int) Class.forName(VECTOR_KERNELS).getMethod("vectorBitSize").invoke(null);
    } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
      return 0;
    }
  }
}
