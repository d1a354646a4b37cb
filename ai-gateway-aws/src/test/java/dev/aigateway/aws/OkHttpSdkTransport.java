package dev.aigateway.aws;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpFullResponse;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.async.AsyncExecuteRequest;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.utils.async.SimplePublisher;

/**
 * The AWS SDK for Java 2's HTTP client interfaces carried out by an {@link OkHttpClient} (a
 * governed one in the tests), so that the SDK's own service clients (their request marshalling,
 * error unmarshalling and event stream decoding) talk through the gateway. The SDK ships no OkHttp
 * transport; this one sends each request as the SDK built and signed it, and hands the SDK the
 * answer's status, headers and bytes as they come.
 */
final class OkHttpSdkTransport {

  /** Headers OkHttp writes itself from the request it sends. */
  private static final Set<String> OKHTTP_OWN =
      Set.of("host", "content-length", "expect", "transfer-encoding", "connection");

  private OkHttpSdkTransport() {}

  /** The SDK's synchronous client interface on {@code http}. */
  static SdkHttpClient sync(OkHttpClient http) {
    return new SdkHttpClient() {
      @Override
      public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
        Call call =
            http.newCall(
                okRequest(
                    request.httpRequest(),
                    request
                        .contentStreamProvider()
                        .map(provider -> readAll(provider.newStream()))
                        .orElse(null)));
        return new ExecutableHttpRequest() {
          @Override
          public HttpExecuteResponse call() throws IOException {
            Response response = call.execute();
            return HttpExecuteResponse.builder()
                .response(sdkResponse(response))
                .responseBody(
                    AbortableInputStream.create(response.body().byteStream(), response::close))
                .build();
          }

          @Override
          public void abort() {
            call.cancel();
          }
        };
      }

      @Override
      public void close() {}
    };
  }

  /**
   * The SDK's asynchronous client interface on {@code http}: the answer's bytes published to the
   * SDK as OkHttp reads them, each read waiting until the SDK asked for it.
   */
  static SdkAsyncHttpClient async(OkHttpClient http) {
    return new SdkAsyncHttpClient() {
      @Override
      public CompletableFuture<Void> execute(AsyncExecuteRequest request) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        collect(request.requestContentPublisher())
            .thenAccept(
                body ->
                    http.newCall(okRequest(request.request(), body))
                        .enqueue(
                            new Callback() {
                              @Override
                              public void onFailure(Call call, IOException e) {
                                request.responseHandler().onError(e);
                                done.completeExceptionally(e);
                              }

                              @Override
                              public void onResponse(Call call, Response response) {
                                publish(request, response, done);
                              }
                            }));
        return done;
      }

      @Override
      public void close() {}
    };
  }

  private static void publish(
      AsyncExecuteRequest request, Response response, CompletableFuture<Void> done) {
    SimplePublisher<ByteBuffer> bytes = new SimplePublisher<>();
    request.responseHandler().onHeaders(sdkResponse(response));
    request.responseHandler().onStream(bytes);
    try (response;
        InputStream in = response.body().byteStream()) {
      byte[] buffer = new byte[8192];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        if (n > 0) {
          bytes.send(ByteBuffer.wrap(Arrays.copyOf(buffer, n))).join();
        }
      }
      bytes.complete().join();
      done.complete(null);
    } catch (IOException | RuntimeException e) {
      bytes.error(e);
      request.responseHandler().onError(e);
      done.completeExceptionally(e);
    }
  }

  private static Request okRequest(SdkHttpRequest request, byte[] body) {
    Request.Builder built = new Request.Builder().url(request.getUri().toString());
    for (Map.Entry<String, List<String>> header : request.headers().entrySet()) {
      if (OKHTTP_OWN.contains(header.getKey().toLowerCase(java.util.Locale.ROOT))) {
        continue;
      }
      for (String value : header.getValue()) {
        built.addHeader(header.getKey(), value);
      }
    }
    String method = request.method().name();
    return built
        .method(
            method,
            body == null && !method.equals("POST") && !method.equals("PUT")
                ? null
                : RequestBody.create(body == null ? new byte[0] : body, null))
        .build();
  }

  private static SdkHttpFullResponse sdkResponse(Response response) {
    return SdkHttpFullResponse.builder()
        .statusCode(response.code())
        .statusText(response.message())
        .headers(response.headers().toMultimap())
        .build();
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("the SDK's request body could not be read", e);
    }
  }

  /** All the bytes {@code publisher} publishes, once it completes. */
  private static CompletableFuture<byte[]> collect(Publisher<ByteBuffer> publisher) {
    CompletableFuture<byte[]> all = new CompletableFuture<>();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    publisher.subscribe(
        new Subscriber<ByteBuffer>() {
          @Override
          public void onSubscribe(Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
          }

          @Override
          public void onNext(ByteBuffer buffer) {
            byte[] chunk = new byte[buffer.remaining()];
            buffer.get(chunk);
            out.writeBytes(chunk);
          }

          @Override
          public void onError(Throwable t) {
            all.completeExceptionally(t);
          }

          @Override
          public void onComplete() {
            all.complete(out.toByteArray());
          }
        });
    return all;
  }
}
