package dev.aigateway.spring;

import dev.aigateway.core.AiGateway;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.io.IOException;
import java.util.List;
import okhttp3.Interceptor;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.model.Model;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;

/**
 * The gateway's interceptor for the OkHttp clients Spring AI builds, the gateway looked up once the
 * singletons are made ({@link #lookUp}, from the customizer bean) or on the first call through such
 * a client, whichever comes first, not when Spring AI builds its model beans: a listener, store or
 * customizer the gateway is built with may itself use a Spring AI model (a summarizer, a judge)
 * without a circular reference. A call made before the gateway can be looked up fails with an
 * {@link IOException} and is not sent; each later call costs one volatile read.
 */
final class LazyGatewayInterceptor implements Interceptor {

  private final ObjectProvider<AiGateway> gateway;

  /** The interceptor of the gateway looked up; null until it is. */
  private volatile @Nullable Interceptor resolved;

  LazyGatewayInterceptor(ObjectProvider<AiGateway> gateway) {
    this.gateway = gateway;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Interceptor interceptor = resolved;
    if (interceptor == null) {
      try {
        interceptor = lookUp();
      } catch (BeansException e) {
        throw new IOException(
            "the gateway that governs Spring AI's clients is not available (yet): "
                + e.getMessage(),
            e);
      }
    }
    return interceptor.intercept(chain);
  }

  /**
   * The gateway's interceptor, looking the gateway up if that was not done yet. Not locked: two
   * threads that both look it up get the same gateway (an interceptor holds nothing else).
   *
   * @throws BeansException when the gateway cannot be looked up (several {@link AiGateway} beans,
   *     none {@code @Primary}; none; or not built yet)
   */
  Interceptor lookUp() {
    Interceptor interceptor = resolved;
    if (interceptor == null) {
      interceptor = OkHttpAiGateway.interceptor(gateway.getObject());
      resolved = interceptor;
    }
    return interceptor;
  }

  /**
   * Makes Spring AI's model beans depend on the prompt log, stores, listeners and meter registries
   * ({@link OkHttpClientWrapper#closeGatewayBeansAfter}): with the gateway looked up once the
   * singletons are made, they may be made before the gateway and those beans, which closing the
   * context would then destroy first.
   */
  static void closeGatewayBeansAfterModels(@Nullable BeanFactory beans) {
    if (beans instanceof ListableBeanFactory listable) {
      OkHttpClientWrapper.closeGatewayBeansAfter(
          listable, List.of(listable.getBeanNamesForType(Model.class, true, false)));
    }
  }

  /**
   * A Spring AI client customizer's base: it hands Spring AI {@link #governed()}, and once the
   * singletons are made looks the gateway up and makes the gateway's beans close after Spring AI's
   * model beans ({@link #closeGatewayBeansAfterModels}).
   */
  abstract static class LookedUpLate implements SmartInitializingSingleton, BeanFactoryAware {
    private final LazyGatewayInterceptor governed;
    private @Nullable BeanFactory beans;

    LookedUpLate(LazyGatewayInterceptor governed) {
      this.governed = governed;
    }

    /** The interceptor that governs the customized clients' calls. */
    final LazyGatewayInterceptor governed() {
      return governed;
    }

    @Override
    public final void setBeanFactory(BeanFactory beanFactory) {
      beans = beanFactory;
    }

    @Override
    public final void afterSingletonsInstantiated() {
      governed.lookUp();
      closeGatewayBeansAfterModels(beans);
    }
  }
}
