/**
 * Does what a person's browser does with the consent URL: the fake provider answers the consent
 * screen (as configured) with a redirect, which the browser follows to the loopback listener.
 */
export async function actLikeBrowser(authorizeUrl: string): Promise<{ status: number; body: string }> {
  const consent = await fetch(authorizeUrl, { redirect: 'manual' });
  const location = consent.headers.get('location');
  if (!location) throw new Error(`the consent page answered ${consent.status} without a redirect`);
  const landing = await fetch(location);
  return { status: landing.status, body: await landing.text() };
}
