package dev.rill.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code rill train}: the training tasks, one subcommand each (for now {@code charlm}). */
@Command(name = "train", mixinStandardHelpOptions = true, subcommands = CharLmTrainCommand.class,
    description = {"Trains a model. The task is a subcommand:", "  charlm  a character language model on a text file", "",
        "Example:", "  rill train charlm --text moby_dick.txt -o moby.rill --hidden 128 --epochs 5"})
final class TrainCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing task (charlm)");
  }
}
