package dev.rill.trainer.math;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Optional;

/** Whether the Vector API can be used, and used fast, in this JVM. */
final class Platform {

  private static final String VECTOR_MODULE = "jdk.incubator.vector";

  private Platform() {}

  /** Why the vector product should not be used here, or null when it can. */
  static String vectorProblem() {
    String problem = moduleProblem();
    return problem != null ? problem : compilerProblem();
  }

  static void requireVectorModule() {
    String problem = moduleProblem();
    if (problem != null) {
      throw new UnsupportedOperationException(problem + "; run with --add-modules " + VECTOR_MODULE);
    }
  }

  private static String moduleProblem() {
    Optional<Module> module = ModuleLayer.boot().findModule(VECTOR_MODULE);
    if (module.isEmpty()) {
      return "the module " + VECTOR_MODULE + " is not in the boot layer";
    }
    if (!Platform.class.getModule().canRead(module.get())) {
      return Platform.class.getModule() + " cannot read " + VECTOR_MODULE;
    }
    return null;
  }

  private static String compilerProblem() {
    String vmName = System.getProperty("java.vm.name", "");
    String vmInfo = System.getProperty("java.vm.info", "");
    if (vmInfo.contains("interpreted mode")) {
      return "the JVM runs in interpreted mode";
    }
    if (vmName.contains("Client VM") || vmName.contains("Minimal VM")) {
      return "the JVM (" + vmName + ") has no C2 compiler";
    }
    List<String> arguments;
    try {
      arguments = ManagementFactory.getRuntimeMXBean().getInputArguments();
    } catch (RuntimeException | LinkageError e) {
      return null;
    }
    String problem = null;
    for (String argument : arguments) {
      if (argument.equals("-Xint")) {
        problem = "the JVM runs in interpreted mode (-Xint)";
      } else if (argument.startsWith("-XX:TieredStopAtLevel=")) {
        problem = argument.endsWith("=4") ? null : "the JIT stops at C1 (" + argument + ")";
      } else if (argument.equals("-XX:-UseCompiler")) {
        problem = "the JIT is off (" + argument + ")";
      }
    }
    return problem;
  }
}
