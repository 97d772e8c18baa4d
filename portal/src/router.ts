// Hash routes (#/buyer/requests/…), so the gateway serves one static page and links are shareable.
import { useEffect, useState } from 'preact/hooks';

export function currentPath(): string {
  const h = location.hash.replace(/^#/, '');
  return h.startsWith('/') ? h : '/';
}

export function useRoute(): string[] {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const on = () => setPath(currentPath());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return path.split('/').filter(Boolean).map(decodeURIComponent);
}

export const href = (...parts: string[]) => '#/' + parts.map(encodeURIComponent).join('/');

export function navigate(...parts: string[]): void {
  location.hash = href(...parts).slice(1);
}
