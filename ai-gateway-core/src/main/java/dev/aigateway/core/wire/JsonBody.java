package dev.aigateway.core.wire;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Usage;
import java.io.InputStream;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * A non-streamed JSON response: bytes pass to the application unchanged, straight into its buffer,
 * while a bounded copy is kept to read {@code usage} once the document is complete.
 *
 * <p>An OpenAI document whose first read holds it whole, as a small answer's usually does, is read
 * at once from the application's buffer instead of being copied ({@link
 * ResponseReadout#readPlainDocument}, when it reports usage in plain form): what it tells is learnt
 * when the body ends as the copy's would have been. Bytes after a whole JSON object change nothing
 * a reader of the object learns (a parser stops at its last brace), so they are only counted, for
 * the bound.
 */
public final class JsonBody extends ObservedBody {

  /**
   * Reads a whole response document, as a {@link WireFormat} has them: learns its usage, model and
   * text into the readout and marks it complete.
   */
  @FunctionalInterface
  public interface DocumentReader {

    /** Reads the document {@code document[from, to)}. */
    void read(ResponseReadout readout, byte[] document, int from, int to);
  }

  private final DocumentReader reader;
  private final int maxCopyBytes;

  /** Whether a first read holding a whole plain document is read at once (OpenAI's reader). */
  private final boolean readsFirstPlain;

  private byte[] copy;
  private int copied;
  private boolean overflow;

  /**
   * The usage of the document the first read held whole, read then, learnt when the body ends (with
   * {@link #plainModel}); or null.
   */
  private Usage plain;

  /** The model of that document, null when it names none. */
  private String plainModel;

  /** An OpenAI response document: top-level {@code model} and {@code usage}. */
  public JsonBody(
      InputStream upstream, BodyListener listener, BooleanSupplier callCanceled, int maxCopyBytes) {
    this(upstream, listener, callCanceled, maxCopyBytes, ResponseReadout::readDocument, true);
  }

  /** A document that {@code reader} reads once it is whole (up to {@code maxCopyBytes}). */
  public JsonBody(
      InputStream upstream,
      BodyListener listener,
      BooleanSupplier callCanceled,
      int maxCopyBytes,
      DocumentReader reader) {
    this(upstream, listener, callCanceled, maxCopyBytes, reader, false);
  }

  private JsonBody(
      InputStream upstream,
      BodyListener listener,
      BooleanSupplier callCanceled,
      int maxCopyBytes,
      DocumentReader reader,
      boolean readsFirstPlain) {
    super(upstream, listener, callCanceled);
    this.maxCopyBytes = maxCopyBytes;
    this.reader = java.util.Objects.requireNonNull(reader, "reader");
    this.readsFirstPlain = readsFirstPlain;
  }

  @Override
  protected void passed(byte[] b, int off, int n, int requested) {
    if (overflow) {
      return;
    }
    if (copied + n > maxCopyBytes) {
      overflow = true;
      copy = null;
      plain = null; // a body above the bound teaches nothing, whatever its start held
      plainModel = null;
      return;
    }
    if (plain != null) {
      copied += n; // after a whole object: changes nothing read, counts towards the bound
      return;
    }
    if (copied == 0 && n < requested && readsFirstPlain) {
      // The source had nothing more at hand: often the whole document, read here if plain.
      if (readout.readPlainDocument(b, off, off + n, this)) { // notes a content filter too
        copied = n;
        return;
      }
    }
    if (copy == null) {
      // The first read is often the whole document: when it left the caller's buffer part empty,
      // the source had nothing more at hand, so keep exactly what came (and grow if more does).
      copy = new byte[n < requested ? n : Math.min(maxCopyBytes, Math.max(1024, 2 * n))];
    } else if (copied + n > copy.length) {
      copy = Arrays.copyOf(copy, Math.min(maxCopyBytes, Math.max(copied + n, copy.length * 2)));
    }
    System.arraycopy(b, off, copy, copied, n);
    copied += n;
  }

  /** Holds a document read whole at the first read, until the body ends (see {@link #plain}). */
  void holdPlain(String model, Usage usage) {
    plainModel = model;
    plain = usage;
  }

  /** A body closed after the whole document arrived (a JSON reader stops at the last brace). */
  @Override
  protected void closing() {
    if (plain != null) {
      readout.learnPlain(plainModel, plain);
      plain = null;
      plainModel = null;
    } else if (copy != null && !overflow) {
      readCopy();
    }
  }

  /**
   * The upstream ended: the body ends as a success, unless what came is a JSON document cut short
   * (a backend whose {@code Content-Length} counts fewer bytes than its document, a connection
   * closed cleanly before the end of a body without a length), which ends truncated, as a stream
   * without its end marker does. A body that is not JSON, or longer than the copy kept, ends as a
   * success.
   */
  @Override
  protected void upstreamEnded() {
    boolean cut = false;
    if (plain != null) {
      readout.learnPlain(plainModel, plain);
      plain = null;
      plainModel = null;
    } else if (copy != null) {
      cut = readCopy();
    }
    end(cut ? CallOutcome.TRUNCATED : CallOutcome.SUCCESS, null);
  }

  /**
   * Reads the whole document copied, and notes whether it is an error document; returns whether it
   * is a JSON value cut short (read only when the reader did not find it whole).
   */
  private boolean readCopy() {
    reader.read(readout, copy, 0, copied);
    readout.noteIfErrorDocument(copy, 0, copied);
    readout.noteIfFiltered(copy, 0, copied);
    boolean cut = !readout.complete() && Json.endsInsideValue(copy, 0, copied);
    copy = null;
    return cut;
  }
}
