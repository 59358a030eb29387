import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import type { Condition, ItemUpdate } from '@refinery/ports';

/**
 * Builds DynamoDB expressions with placeholders only: attribute names go through ExpressionAttributeNames (so reserved
 * words like `status` and names with dots or dashes are never parsed), values through ExpressionAttributeValues.
 * One builder per request, so the condition and the update share one set of placeholders.
 */
export class ExpressionBuilder {
  private readonly names = new Map<string, string>();
  private readonly values = new Map<string, NativeAttributeValue>();

  name(attribute: string): string {
    let placeholder = this.names.get(attribute);
    if (!placeholder) {
      placeholder = `#n${this.names.size}`;
      this.names.set(attribute, placeholder);
    }
    return placeholder;
  }

  value(value: NativeAttributeValue): string {
    const placeholder = `:v${this.values.size}`;
    this.values.set(placeholder, value);
    return placeholder;
  }

  condition(condition: Condition): string {
    switch (condition.kind) {
      case 'itemNotExists':
        return `attribute_not_exists(${this.name('pk')})`;
      case 'itemExists':
        return `attribute_exists(${this.name('pk')})`;
      case 'attributeEquals':
        return `${this.name(condition.attribute)} = ${this.value(condition.value)}`;
      case 'attributeNotEquals':
        // The port's meaning: the attribute is there and differs (a missing attribute does not count as "not equal").
        // Said explicitly, so it holds whatever the service makes of `<>` on a missing attribute (dynalite: true).
        return `(attribute_exists(${this.name(condition.attribute)}) AND ${this.name(condition.attribute)} <> ${this.value(condition.value)})`;
      case 'attributeNotExists':
        return `attribute_not_exists(${this.name(condition.attribute)})`;
      case 'anyOf':
        // DynamoDB has no literal false; an empty disjunction never holds, as in the local adapter.
        if (condition.conditions.length === 0) return `(attribute_exists(${this.name('pk')}) AND attribute_not_exists(${this.name('pk')}))`;
        return `(${condition.conditions.map((inner) => this.condition(inner)).join(' OR ')})`;
    }
  }

  /** SET / ADD / REMOVE clauses, or undefined when the update changes nothing but the item's existence. */
  update(update: ItemUpdate): string | undefined {
    const set = Object.entries(update.set ?? {}).map(([attribute, value]) => `${this.name(attribute)} = ${this.value(value)}`);
    const add = [
      ...Object.entries(update.increment ?? {}).map(([attribute, delta]) => `${this.name(attribute)} ${this.value(delta)}`),
      // A string set: ADD is a union, so a repeated member changes nothing. DynamoDB has no empty sets: skip empty lists.
      ...Object.entries(update.addToSet ?? {})
        .filter(([, members]) => members.length > 0)
        .map(([attribute, members]) => `${this.name(attribute)} ${this.value(new Set(members))}`),
    ];
    const remove = (update.remove ?? []).map((attribute) => this.name(attribute));
    const clauses = [
      set.length ? `SET ${set.join(', ')}` : '',
      add.length ? `ADD ${add.join(', ')}` : '',
      remove.length ? `REMOVE ${remove.join(', ')}` : '',
    ].filter(Boolean);
    return clauses.length ? clauses.join(' ') : undefined;
  }

  /** The placeholder maps; DynamoDB refuses empty ones, so they are left out when unused. */
  attributes(): { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, NativeAttributeValue> } {
    return {
      ...(this.names.size
        ? { ExpressionAttributeNames: Object.fromEntries([...this.names].map(([attribute, placeholder]) => [placeholder, attribute])) }
        : {}),
      ...(this.values.size ? { ExpressionAttributeValues: Object.fromEntries(this.values) } : {}),
    };
  }
}
