/** Go to a path inside the app; main.ts routes on `popstate`. */
export function navigate(url: string): void {
  history.pushState(null, '', url);
  window.dispatchEvent(new PopStateEvent('popstate'));
}
