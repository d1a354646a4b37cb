package dev.aigateway.benchmarks;

import dev.aigateway.core.cache.FalseHitGuard;
import dev.aigateway.embeddings.onnx.MiniLmEmbeddingModel;
import java.io.IOException;
import java.util.Optional;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/**
 * What the semantic cache's checks cost the calling thread: {@link MiniLmEmbeddingModel#embed} for
 * a short prompt (15 words) and a long one (about 200 words), and {@link FalseHitGuard#objection}
 * on a typical pair of chat prompts, one that passes every check (the guard's slowest path: all six
 * checks run). Run it with {@link #main}; see docs/semantic-eval.md.
 */
public class EmbeddingBenchmark extends MicroBenchmark {

  /** A support question of 15 words. */
  static final String SHORT_PROMPT =
      "How do I change the billing address on my account before the next monthly invoice?";

  /** A batch-job prompt of about 200 words. */
  static final String LONG_PROMPT =
      "You are reviewing a customer support conversation for a "
          + "software company that sells a project management tool to small and medium businesses. "
          + "The customer wrote in because their team could no longer see the shared calendar after "
          + "an update last Tuesday, and several of their scheduled reminders were sent twice. The "
          + "agent asked for screenshots, confirmed that the workspace was on the business plan, "
          + "and escalated the ticket to the engineering team, who found that a migration had "
          + "duplicated some reminder records and hidden calendars that were shared through a "
          + "group rather than with individual users. Engineering deployed a fix on Thursday and "
          + "the agent followed up to confirm that the calendar was visible again, but the customer "
          + "has not replied since. Summarize the conversation for the account manager in three "
          + "short paragraphs: what went wrong, what the company did about it and how long it took, "
          + "and what the account manager should say when they call the customer next week. Keep "
          + "a friendly and professional tone, avoid internal jargon, do not promise any credit or "
          + "refund, and mention that the duplicated reminders have been cleaned up and will not be "
          + "sent again. Finish with one sentence suggesting how the customer can report a similar "
          + "problem faster in the future.";

  static final String CACHED_PROMPT =
      "Can you explain how I can export my contacts from the " + "mobile app to a CSV file?";
  static final String INCOMING_PROMPT =
      "how do i export my contacts from the mobile app into a " + "CSV file";

  private MiniLmEmbeddingModel model;
  private FalseHitGuard guard;

  /** Loads the model before measuring, and checks each benchmark measures what it says. */
  @Setup
  public void setUp() throws IOException {
    model = MiniLmEmbeddingModel.create().load();
    guard = FalseHitGuard.defaults();
    int shortWords = SHORT_PROMPT.split("\\s+").length;
    int longWords = LONG_PROMPT.split("\\s+").length;
    if (shortWords != 15 || longWords < 190 || longWords > 230) {
      throw new IllegalStateException(
          "benchmark set-up is wrong: prompts of "
              + shortWords
              + " and "
              + longWords
              + " words, expected 15 and about 200");
    }
    if (guard.objection(CACHED_PROMPT, INCOMING_PROMPT).isPresent()) {
      throw new IllegalStateException(
          "benchmark set-up is wrong: the guard should let the "
              + "typical pair through, so that every check runs");
    }
  }

  /** Embeds a 15-word prompt. */
  @Benchmark
  public float[] embedShortPrompt() throws IOException {
    return model.embed(SHORT_PROMPT);
  }

  /** Embeds a prompt of about 200 words. */
  @Benchmark
  public float[] embedLongPrompt() throws IOException {
    return model.embed(LONG_PROMPT);
  }

  /** Compares a typical pair of chat prompts (a paraphrase: every check runs). */
  @Benchmark
  public Optional<String> guardTypicalPair() {
    return guard.objection(CACHED_PROMPT, INCOMING_PROMPT);
  }

  /**
   * Runs the benchmarks of this class.
   *
   * @param args JMH command-line options, such as {@code -f 1 -wi 2 -i 3}
   */
  public static void main(String[] args) throws Exception {
    run(EmbeddingBenchmark.class, args);
  }
}
