package dev.aigateway.core.wire;

import dev.aigateway.api.Usage;
import org.jspecify.annotations.Nullable;

/**
 * Reads the top-level {@code usage} of a Bedrock Converse answer or ConverseStream {@code metadata}
 * event on its bytes ({@link ObjectMembers}), as {@link BedrockConverseFormat#usage(
 * com.fasterxml.jackson.databind.JsonNode)} reads it from the Jackson tree: the counts {@code
 * inputTokens}, {@code outputTokens}, {@code totalTokens}, {@code cacheReadInputTokens} and {@code
 * cacheWriteInputTokens}, each one only when it is a whole number Jackson reads as integral and
 * within a {@code long} and not negative (so {@code -0} is 0, and {@code 1.0}, {@code 1e2}, {@code
 * -3} or a number beyond {@link Long#MAX_VALUE} is absent); no usage without an input count.
 *
 * <p>{@link #read} accepts only a strict JSON object ({@link StrictJson}) without escaped names and
 * without a {@code usage} member twice or a count twice in it; for anything else it returns false
 * and the caller parses the bytes. One per reader; it serves one thread.
 */
final class ConverseUsage {

  private static final byte[] USAGE = ObjectMembers.quoted("usage");

  /** The counts' names, made once (a reader per stream shares them). */
  private static final byte[][] COUNTS = {
    ObjectMembers.quoted("inputTokens"),
    ObjectMembers.quoted("outputTokens"),
    ObjectMembers.quoted("totalTokens"),
    ObjectMembers.quoted("cacheReadInputTokens"),
    ObjectMembers.quoted("cacheWriteInputTokens")
  };

  private final ObjectMembers top = new ObjectMembers(USAGE);
  private final ObjectMembers counts = new ObjectMembers(COUNTS);

  private @Nullable Usage usage;

  /**
   * Reads the object {@code json[from, to)}; false, having read nothing, to leave it to the parser.
   */
  boolean read(byte[] json, int from, int to) {
    usage = null;
    if (!top.walk(json, from, to) || top.hasDuplicates()) {
      return false;
    }
    if (!top.startsWith(json, 0, '{')) {
      return true; // no usage, or not an object: no usage, as the tree reads it
    }
    if (!counts.walk(json, top.start(0), top.end(0)) || counts.hasDuplicates()) {
      return false;
    }
    usage =
        BedrockFormat.usage(
            count(json, 0), count(json, 1), count(json, 2), count(json, 3), count(json, 4));
    return true;
  }

  /** The usage {@link #read} read: null when there was none (or no input count). */
  @Nullable Usage usage() {
    return usage;
  }

  /** The {@code k}th count, or -1 when it is absent, not a whole number or negative. */
  private long count(byte[] json, int k) {
    int start = counts.start(k);
    return start < 0 ? -1 : ObjectMembers.count(json, start, counts.end(k));
  }
}
