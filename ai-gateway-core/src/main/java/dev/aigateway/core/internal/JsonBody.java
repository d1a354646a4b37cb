package dev.aigateway.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.CallOutcome;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * A non-streamed JSON response: bytes pass to the application unchanged, straight into its
 * buffer, while a bounded copy is kept to read {@code usage} once the document is complete.
 */
public final class JsonBody extends ObservedBody {

  private final int maxCopyBytes;
  private byte[] copy = new byte[1024];
  private int copied;
  private boolean overflow;

  public JsonBody(InputStream upstream, BodyListener listener, BooleanSupplier callCanceled,
      int maxCopyBytes) {
    super(upstream, listener, callCanceled);
    this.maxCopyBytes = maxCopyBytes;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    int n = readUpstream(b, off, len);
    if (n < 0) {
      documentEnded();
    } else if (n > 0) {
      keep(b, off, n);
    }
    return n;
  }

  @Override
  public int available() throws IOException {
    return upstream.available();
  }

  private void keep(byte[] b, int off, int n) {
    if (overflow) {
      return;
    }
    if (copied + n > maxCopyBytes) {
      overflow = true;
      copy = null;
      return;
    }
    if (copied + n > copy.length) {
      copy = Arrays.copyOf(copy, Math.min(maxCopyBytes, Math.max(copied + n, copy.length * 2)));
    }
    System.arraycopy(b, off, copy, copied, n);
    copied += n;
  }

  private void documentEnded() {
    if (ended()) {
      return;
    }
    if (!overflow) {
      JsonNode doc = Json.parseOrNull(copy, 0, copied);
      if (doc != null && doc.isObject()) {
        facts.readDocument(doc);
        facts.markComplete();
      }
      copy = null;
    }
    end(CallOutcome.SUCCESS, null);
  }
}
