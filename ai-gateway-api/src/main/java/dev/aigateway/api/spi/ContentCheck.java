package dev.aigateway.api.spi;

import java.io.IOException;
import java.util.List;

/**
 * An external content safety check (Azure AI Content Safety, OpenAI moderation, a service of your
 * own), asked by the gateway's content safety stage before a call is sent (the prompt's texts) and,
 * when configured, on windows of a streamed answer. The gateway calls it synchronously, bounded by
 * its check timeout, on one of its own threads, and acts on a {@linkplain ContentVerdict#flagged()
 * flagged} verdict as configured (block, or flag only); a check that throws or does not answer in
 * time counts as failed, and the gateway then fails open or closed as configured.
 *
 * <p>Implementations must be thread-safe. They must not log the texts they are given.
 *
 * <pre>{@code
 * ContentCheck mine = new ContentCheck() {
 *   public String name() { return "my-classifier"; }
 *   public ContentVerdict check(Where where, List<ContentText> texts) throws IOException {
 *     boolean bad = texts.stream().anyMatch(t -> t.text().contains("forbidden"));
 *     return bad ? ContentVerdict.flagged(List.of(new ContentFinding("custom", 1.0)))
 *                : ContentVerdict.PASSED;
 *   }
 * };
 * }</pre>
 */
public interface ContentCheck {

  /** Which side of a call the texts come from. */
  enum Where {
    /** The request's texts, before anything is sent. */
    PROMPT,
    /** A window of the answer's text, as it streams. */
    ANSWER
  }

  /** A short, stable name for events, metrics and logs, for example {@code openai-moderation}. */
  String name();

  /**
   * Checks texts and returns a verdict.
   *
   * @param where whether the texts are the prompt's or a window of the answer
   * @param texts the texts in the order of the request (never empty)
   * @throws IOException when the check could not be made (the gateway fails open or closed)
   */
  ContentVerdict check(Where where, List<ContentText> texts) throws IOException;
}
