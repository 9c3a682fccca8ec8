import { z } from 'zod';
import { AppError } from '../lib/errors.ts';
import type { PrismaClient, User } from '../lib/prisma.ts';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export const settingsSchema = z.object({
  digestDay: z
    .string()
    .transform((text, ctx) => {
      const index = DAYS.indexOf(text.trim().toLowerCase().slice(0, 3));
      const number = Number(text);
      if (index >= 0) return index + 1;
      if (Number.isInteger(number) && number >= 1 && number <= 7) return number;
      ctx.addIssue({
        code: 'custom',
        message: `--digest-day: "${text}" is not a weekday (monday..sunday or 1..7)`,
      });
      return z.NEVER;
    })
    .optional(),
  digestHour: z.coerce
    .number({ error: '--digest-hour must be a whole hour, 0 to 23' })
    .int('--digest-hour must be a whole hour, 0 to 23')
    .min(0, '--digest-hour must be a whole hour, 0 to 23')
    .max(23, '--digest-hour must be a whole hour, 0 to 23')
    .optional(),
  timeZone: z
    .string()
    .refine(isTimeZone, {
      error: (issue) => `--timezone: "${String(issue.input)}" is not an IANA time zone (e.g. Europe/Berlin)`,
    })
    .optional(),
  emptyDigest: z.enum(['skip', 'caught-up'], { error: '--empty-digest is skip or caught-up' }).optional(),
  digestPaused: z.boolean().optional(),
});

export type SettingsInput = z.input<typeof settingsSchema>;

/** Changes a user's digest settings; a bad value says what is wrong and changes nothing. */
export async function updateUserSettings(
  prisma: PrismaClient,
  userId: string,
  input: SettingsInput,
): Promise<User> {
  const parsed = settingsSchema.safeParse(input);
  if (!parsed.success) {
    throw new AppError('SETTINGS_INVALID', parsed.error.issues.map((issue) => issue.message).join('; '));
  }
  const data = Object.fromEntries(Object.entries(parsed.data).filter(([, value]) => value !== undefined));
  return prisma.user.update({ where: { id: userId }, data });
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    // RangeError: Intl does not know the zone.
    return false;
  }
}
