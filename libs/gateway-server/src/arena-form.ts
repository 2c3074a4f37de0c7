/**
 * A form built from a JSON Schema (browser script, part of the arena page's one <script>): the
 * arena page's start form, from the arena config's schema as the trading agent states it, so a
 * field added to the config shows up without touching the page. Objects become fieldsets, unions
 * a choice of their variants (named by title or by their constant, e.g. an agent's kind), lists
 * of objects items to add and remove, lists of strings one comma-separated field; defaults fill
 * the fields. The browser checks nothing (novalidate): the API's 400 names each bad field, and
 * each control carries its key path (data-path) so the rule is shown beside the field it names.
 */
export const schemaFormScript = String.raw`
const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';
const variantsOf = (s) => s.anyOf || s.oneOf;
function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined) node.setAttribute(key, value);
  node.append(...children);
  return node;
}
const errorSlot = () => el('span', { class: 'field-error' });
const childPath = (path, key) => (path === '' ? String(key) : path + '.' + key);
// Each field is { el, read(path) }: read answers its value (undefined: left out of the config) and
// marks its element with its key path, which moves when an item above it is removed.
function schemaField(schema, name, required, changed) {
  const variants = variantsOf(schema);
  if (variants) return unionField(variants, name, changed);
  if (schema.const !== undefined) return { el: null, read: () => schema.const };
  if (schema.type === 'object') return objectField(schema, name, changed, required);
  if (schema.type === 'array') return schema.items.type === 'object' || variantsOf(schema.items) ? listField(schema, name, changed) : textListField(name, required);
  return inputField(schema, name, required);
}
function objectField(schema, name, changed, required) {
  const requiredKeys = new Set(schema.required || []);
  const fields = Object.entries(schema.properties || {}).map(([key, s]) => [key, schemaField(s, key, requiredKeys.has(key), changed)]);
  const controls = fields.map(([, f]) => f.el).filter(Boolean);
  // Unnamed (the config itself, a variant inside its union): no frame of its own. An optional one is left out when left empty.
  const box = name === null
    ? el('div', { class: 'fields' }, controls)
    : el('fieldset', { class: 'field' }, [el('legend', {}, [name + (required ? '' : ' (optional)')]), ...controls, errorSlot()]);
  return {
    el: box,
    read(path) {
      if (name !== null) box.dataset.path = path;
      const value = {};
      for (const [key, field] of fields) {
        const v = field.read(childPath(path, key));
        if (v !== undefined) value[key] = v;
      }
      return Object.keys(value).length ? value : undefined;
    },
  };
}
function variantName(variant, index) {
  if (variant.title) return variant.title;
  const constant = Object.values(variant.properties || {}).find((p) => p.const !== undefined);
  return constant ? String(constant.const) : 'option ' + (index + 1);
}
function unionField(variants, name, changed) {
  const select = el('select', { 'aria-label': name + ': which kind' }, variants.map((v, i) => el('option', { value: String(i) }, [variantName(v, i)])));
  const body = el('div', { class: 'variant' });
  const box = el('fieldset', { class: 'field' }, [el('legend', {}, [name + ' ', select]), body, errorSlot()]);
  let current;
  const choose = () => {
    current = schemaField(variants[Number(select.value)], null, true, changed);
    body.replaceChildren(...(current.el ? [current.el] : []));
  };
  select.onchange = () => { choose(); changed(); };
  choose();
  return { el: box, read(path) { box.dataset.path = path; return current.read(path); } };
}
function listField(schema, name, changed) {
  const itemName = name.replace(/s$/, '');
  const items = [];
  const list = el('ol', { class: 'items' });
  const add = el('button', { type: 'button', class: 'add' }, ['Add ' + itemName]);
  const box = el('fieldset', { class: 'field' }, [el('legend', {}, [name]), list, add, errorSlot()]);
  const addItem = () => {
    const item = { field: schemaField(schema.items, itemName, true, changed) };
    const remove = el('button', { type: 'button', class: 'remove' }, ['Remove ' + itemName]);
    item.li = el('li', {}, [item.field.el, remove]);
    remove.onclick = () => { items.splice(items.indexOf(item), 1); item.li.remove(); changed(); };
    items.push(item);
    list.append(item.li);
  };
  add.onclick = () => { addItem(); changed(); };
  for (let i = 0; i < Math.max(1, schema.minItems || 0); i++) addItem();
  return {
    el: box,
    read(path) {
      box.dataset.path = path;
      return items.length ? items.map((item, i) => item.field.read(childPath(path, i))) : undefined;
    },
  };
}
const fieldLabel = (name, required, control) => el('label', { class: 'field' }, [el('span', { class: 'name' }, [name + (required ? ' *' : '')]), control, errorSlot()]);
function textListField(name, required) {
  const input = el('input', { name, type: 'text', placeholder: 'comma-separated' });
  const label = fieldLabel(name, required, input);
  return {
    el: label,
    read(path) {
      label.dataset.path = path;
      const values = input.value.split(/[\s,]+/).filter(Boolean);
      return values.length ? values : undefined;
    },
  };
}
function inputField(schema, name, required) {
  const numeric = schema.type === 'number' || schema.type === 'integer';
  const type = numeric ? 'number' : schema.type === 'boolean' ? 'checkbox' : schema.pattern === DATE_PATTERN ? 'date' : schema.format === 'uri' ? 'url' : 'text';
  const input = el('input', { name, type, step: numeric ? (schema.type === 'integer' ? '1' : 'any') : undefined });
  if (schema.default !== undefined) {
    if (type === 'checkbox') input.checked = schema.default === true;
    else input.value = String(schema.default);
  }
  const label = fieldLabel(name, required, input);
  if (schema.description) label.title = schema.description;
  return {
    el: label,
    read(path) {
      label.dataset.path = path;
      if (type === 'checkbox') return input.checked;
      const raw = input.value.trim();
      if (raw === '') return undefined;
      return numeric ? Number(raw) : raw;
    },
  };
}
/** The form of a JSON Schema in the element given: read() answers the value; show(err) puts a refusal's rules beside their fields. */
function schemaForm(schema, container) {
  let root;
  // Paths move when items come and go: reading the form again marks every field with its own.
  const changed = () => root.read('');
  root = objectField(schema, null, changed, true);
  container.replaceChildren(root.el);
  changed();
  const clear = () => {
    container.querySelectorAll('.field-error').forEach((slot) => { slot.textContent = ''; });
    container.querySelectorAll('[aria-invalid]').forEach((node) => node.removeAttribute('aria-invalid'));
  };
  return {
    read: () => { clear(); return root.read('') ?? {}; },
    // Each rule beside the field its path names, or the nearest enclosing one; what names no field is answered.
    show(details) {
      const unplaced = [];
      for (const { field, rule } of details) {
        const named = field.replace(/^body\.?/, '');
        let path = named;
        let box = null;
        while (path && !(box = container.querySelector('[data-path="' + CSS.escape(path) + '"]'))) path = path.split('.').slice(0, -1).join('.');
        if (!box) { unplaced.push(field + ': ' + rule); continue; }
        const slot = box.querySelector(':scope > .field-error');
        slot.textContent = (slot.textContent ? slot.textContent + '; ' : '') + named + ': ' + rule;
        (box.querySelector(':scope > input, :scope > legend > select') || box).setAttribute('aria-invalid', 'true');
      }
      return unplaced;
    },
  };
}
`;
