package mockwebserver3;

import okhttp3.Headers;
import okhttp3.HttpUrl;
import okio.ByteString;

/** OkHttp 5's {@code RecordedRequest} API over OkHttp 4.12's. */
public final class RecordedRequest {

  private final okhttp3.mockwebserver.RecordedRequest request;
  private final ByteString body;

  RecordedRequest(okhttp3.mockwebserver.RecordedRequest request) {
    this.request = request;
    this.body = request.getBody().snapshot();
  }

  public String getMethod() {
    return request.getMethod();
  }

  public String getTarget() {
    return request.getPath();
  }

  public HttpUrl getUrl() {
    return request.getRequestUrl();
  }

  public Headers getHeaders() {
    return request.getHeaders();
  }

  public ByteString getBody() {
    return body;
  }

  public long getBodySize() {
    return request.getBodySize();
  }
}
