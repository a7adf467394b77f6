import { Suspense, lazy, type ComponentType } from "react";
import { Loading } from "./ui";

/**
 * A page whose code loads when it is first opened, so that the editors' libraries (CodeMirror, the YAML parser) are
 * not part of what every other page downloads and compiles first.
 */
export function lazyPage<Name extends string>(load: () => Promise<Record<Name, ComponentType>>, name: Name, what: string) {
  const Page = lazy<ComponentType>(() => load().then((module) => ({ default: module[name] })));
  return function LazyPage() {
    return (
      <Suspense fallback={<Loading what={what} />}>
        <Page />
      </Suspense>
    );
  };
}
